package dev.litecluster.fs;

import dev.litecluster.fuse.sys.Errno;
import dev.litecluster.fuse.sys.LibC;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

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
    private final List<Held> held = new ArrayList<>();

    SqliteLocks(String database) {
        this.database = database;
    }

    /** Takes a lock, retrying until it is granted; {@code what} names it in the log. */
    void lock(int fd, int type, long start, long length, String what) throws IOException {
        long began = System.nanoTime();
        boolean warned = false;
        int sleepMillis = 1;
        while (true) {
            int r = LibC.ofdLock(fd, type, start, length);
            if (r == 0) {
                held.add(new Held(fd, start, length));
                if (warned) {
                    LOG.info("database {}: got the {} lock after {} ms", database, what, (System.nanoTime() - began) / 1_000_000);
                }
                return;
            }
            if (r != -Errno.EAGAIN) {
                throw new IOException("database " + database + ": fcntl lock (" + what + ") failed with errno " + -r);
            }
            if (!warned && System.nanoTime() - began > WARN_AFTER_NANOS) {
                warned = true;
                LOG.warn("database {}: apply has waited {} s for the {} lock: a reader holds a long transaction",
                        database, (System.nanoTime() - began) / 1_000_000_000, what);
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

    /** Releases every lock taken, newest first. */
    @Override
    public void close() {
        for (int i = held.size() - 1; i >= 0; i--) {
            Held h = held.get(i);
            LibC.ofdLock(h.fd, LibC.F_UNLCK, h.start, h.length);
        }
        held.clear();
    }
}
