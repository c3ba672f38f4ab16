package dev.litecluster.fs;

import dev.litecluster.fuse.sys.Errno;
import dev.litecluster.fuse.sys.LibC;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.concurrent.locks.LockSupport;

/**
 * SQLite's locks, taken the way another SQLite process takes them: OFD {@code fcntl} locks on a
 * descriptor opened through the mount, so the kernel makes them exclude app readers and writers
 * (DESIGN.md decisions 3 and 7). Waits by retrying, and says once in the log when it has waited
 * long, naming what it waits for (a long read transaction delays apply but never breaks it).
 */
final class SqliteLocks implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SqliteLocks.class);

    static final long PENDING = 0x40000000L;
    static final long RESERVED = PENDING + 1;
    static final long SHARED_FIRST = PENDING + 2;
    static final int SHARED_SIZE = 510;
    static final int SHM_WRITE = 120;
    static final int SHM_CKPT = 121;
    static final int SHM_RECOVER = 122;
    static final int SHM_READ0 = 123;
    static final int SHM_DMS = 128;
    private static final long WARN_AFTER_NANOS = 5_000_000_000L;

    private record Held(int fd, long start, long length) {
    }

    private final String database;
    private final String purpose;
    private final BooleanSupplier stopped;
    private final List<Held> held = new ArrayList<>();

    /** @param purpose what the locks are for, in log lines ("apply", "handoff") */
    SqliteLocks(String database, String purpose) {
        this(database, purpose, () -> false);
    }

    /** Locks whose waits end with an IOException once {@code stopped} says so. */
    SqliteLocks(String database, String purpose, BooleanSupplier stopped) {
        this.database = database;
        this.purpose = purpose;
        this.stopped = stopped;
    }

    /** Opens {@code file} read-write through the mount (created if missing), as an app would. */
    static int open(Path mountDir, String file) throws IOException {
        int fd = LibC.open(mountDir.resolve(file).toString(), LibC.O_RDWR | LibC.O_CREAT | LibC.O_CLOEXEC, 0644);
        if (fd < 0) {
            throw new IOException("open " + file + " through the mount failed with errno " + -fd);
        }
        return fd;
    }

    /** Takes a lock, retrying until it is granted; {@code what} names it in the log. */
    void lock(int fd, int type, long start, long length, String what) throws IOException {
        Wait wait = new Wait(what);
        while (!tryLock(fd, type, start, length, what)) {
            wait.pause();
        }
        wait.done();
    }

    /**
     * Takes a lock, retrying every 0.2 ms for at most {@code timeoutNanos} (a short, bounded wait that
     * must end the moment the holder lets go); false when it was not granted in time.
     */
    boolean lockWithin(int fd, int type, long start, long length, String what, long timeoutNanos) throws IOException {
        long began = System.nanoTime();
        while (!tryLock(fd, type, start, length, what)) {
            if (System.nanoTime() - began >= timeoutNanos) {
                return false;
            }
            LockSupport.parkNanos(200_000);
        }
        return true;
    }

    /**
     * Takes write locks on {@code count} single bytes from {@code first}, one at a time, keeping
     * each as soon as it is free, so a stream of short read transactions cannot starve us (a range
     * lock is granted only at an instant when every byte is free). Holding some while waiting for
     * the others stops new readers, which give up after ~10 s (SQLITE_PROTOCOL): after
     * {@code holdMillis} without all of them, everything is released and tried again.
     */
    void lockEach(int fd, int first, int count, long holdMillis, String what) throws IOException {
        Wait wait = new Wait(what);
        while (true) {
            int got = 0;
            long deadline = System.nanoTime() + holdMillis * 1_000_000;
            while (got < count && System.nanoTime() < deadline) {
                if (tryLock(fd, LibC.F_WRLCK, first + got, 1, what)) {
                    got++;
                } else {
                    LockSupport.parkNanos(50_000);
                }
            }
            if (got == count) {
                wait.done();
                return;
            }
            release(got);
            wait.pause();
        }
    }

    private boolean tryLock(int fd, int type, long start, long length, String what) throws IOException {
        int r = LibC.ofdLock(fd, type, start, length);
        if (r == 0) {
            held.add(new Held(fd, start, length));
            return true;
        }
        if (r != -Errno.EAGAIN) {
            throw new IOException("database " + database + ": fcntl lock (" + what + ") failed with errno " + -r);
        }
        return false;
    }

    /** Releases the {@code count} newest locks. */
    private void release(int count) {
        for (int i = 0; i < count && !held.isEmpty(); i++) {
            Held h = held.removeLast();
            LibC.ofdLock(h.fd, LibC.F_UNLCK, h.start, h.length);
        }
    }

    /** Releases every lock taken, newest first. */
    @Override
    public void close() {
        release(held.size());
    }

    /** Waiting for one lock: backs off, and logs once when it has waited long. */
    private final class Wait {
        private final String what;
        private final long began = System.nanoTime();
        private boolean warned;
        private int sleepMillis = 1;

        Wait(String what) {
            this.what = what;
        }

        void done() {
            if (warned) {
                LOG.info("database {}: got the {} lock after {} ms", database, what, (System.nanoTime() - began) / 1_000_000);
            }
        }

        void pause() throws IOException {
            if (stopped.getAsBoolean()) {
                throw new IOException("database " + database + ": " + purpose + " stopped while waiting for the " + what + " lock");
            }
            if (!warned && System.nanoTime() - began > WARN_AFTER_NANOS) {
                warned = true;
                LOG.warn("database {}: {} has waited {} s for the {} lock: another connection holds a long transaction",
                        database, purpose, (System.nanoTime() - began) / 1_000_000_000, what);
            }
            try {
                Thread.sleep(sleepMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for the " + what + " lock");
            }
            sleepMillis = Math.min(20, sleepMillis * 2);
        }
    }
}
