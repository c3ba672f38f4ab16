package dev.litecluster.fs;

import dev.litecluster.fuse.sys.LibC;
import dev.litecluster.store.Database;
import dev.litecluster.store.sqlite.DatabaseHeader;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Holds SQLite's write lock on every database, taken through the mount like another SQLite
 * connection would: write transactions already running finish (and are captured) first, new ones
 * get SQLITE_BUSY and retry under their busy timeout, readers go on. Used to move the primary role
 * without breaking a transaction halfway: while frozen, the log holds every commit there will be.
 * Rollback mode: RESERVED on the database file (also blocks a switch to WAL). WAL mode: the WAL
 * WRITE lock in {@code -shm}, created if no connection has it open yet, so a new one cannot write.
 */
public final class WriteFreeze implements AutoCloseable {
    private final List<Integer> fds = new ArrayList<>();
    private final List<SqliteLocks> locks = new ArrayList<>();

    private WriteFreeze() {
    }

    /**
     * Freezes writes to {@code databases} (on the mount at {@code mountDir}).
     *
     * @throws IOException a write transaction held its lock longer than {@code timeout}; nothing stays locked
     */
    public static WriteFreeze of(Path mountDir, List<Database> databases, Duration timeout) throws IOException {
        WriteFreeze freeze = new WriteFreeze();
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            for (Database database : databases) {
                freeze.lock(mountDir, database, deadline);
            }
            return freeze;
        } catch (IOException | RuntimeException e) {
            freeze.close();
            throw e;
        }
    }

    private void lock(Path mountDir, Database database, long deadline) throws IOException {
        String name = database.name();
        SqliteLocks held = new SqliteLocks(name, "handoff");
        locks.add(held);
        int db = open(mountDir, name);
        take(held, db, SqliteLocks.RESERVED, "RESERVED", name, deadline);
        if (DatabaseHeader.isWalMode(database.files().database())) {
            take(held, open(mountDir, name + "-shm"), SqliteLocks.SHM_WRITE, "WAL WRITE", name, deadline);
        }
    }

    private int open(Path mountDir, String file) throws IOException {
        int fd = SqliteLocks.open(mountDir, file);
        fds.add(fd);
        return fd;
    }

    private static void take(SqliteLocks held, int fd, long offset, String what, String name, long deadline)
            throws IOException {
        if (!held.lockWithin(fd, LibC.F_WRLCK, offset, 1, what, deadline - System.nanoTime())) {
            throw new IOException("database " + name + ": a write transaction kept the " + what
                    + " lock past the freeze timeout");
        }
    }

    /** Lets writers in again. */
    @Override
    public void close() {
        locks.forEach(SqliteLocks::close);
        fds.forEach(LibC::close);
    }
}
