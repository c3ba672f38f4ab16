package dev.litecluster.fs;

import dev.litecluster.fuse.sys.LibC;
import dev.litecluster.store.ReplicaWriter;
import dev.litecluster.store.sqlite.DatabaseHeader;
import dev.litecluster.store.sqlite.WalChecksum;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * Writes replicated transactions into a replica's database through the mount, under the locks a
 * SQLite writer takes, so the kernel's page cache and every reader's mmapped {@code -shm} stay
 * coherent (DESIGN.md decision 7). Rollback mode: PENDING, RESERVED and EXCLUSIVE on the database
 * file. WAL mode: WRITE, CKPT, RECOVER and every READ mark on {@code -shm}; then the WAL is
 * truncated and a fresh wal-index header with an empty WAL is published, so readers drop their cache.
 */
public final class ReplicaApplier implements ReplicaWriter {
    private static final int WAL_INDEX_VERSION = 3007000;

    private final Path mountDir;
    private final String name;
    private final Path backingDatabase;
    /** Descriptors through the mount, kept open between transactions (-1 until first needed). */
    private int db = -1;
    private int shm = -1;

    public ReplicaApplier(Path mountDir, String name, Path backingDatabase) {
        this.mountDir = mountDir;
        this.name = name;
        this.backingDatabase = backingDatabase;
    }

    @Override
    public void write(int pageSize, int commit, Pages pages) throws IOException {
        boolean walMode = walMode();
        if (db < 0) {
            db = SqliteLocks.open(mountDir, name);
        }
        if (walMode && shm < 0) {
            shm = SqliteLocks.open(mountDir, name + "-shm");
        }
        try (SqliteLocks locks = new SqliteLocks(name, "apply"); Arena arena = Arena.ofConfined()) {
            if (walMode) {
                locks.lock(shm, LibC.F_RDLCK, SqliteLocks.SHM_DMS, 1, "DMS");
                locks.lock(shm, LibC.F_WRLCK, SqliteLocks.SHM_WRITE, 3, "WAL WRITE/CKPT/RECOVER");
                locks.lockEach(shm, SqliteLocks.SHM_READ0, 5, 200, "WAL READ");
            } else {
                locks.lock(db, LibC.F_WRLCK, SqliteLocks.PENDING, 1, "PENDING");
                locks.lock(db, LibC.F_WRLCK, SqliteLocks.RESERVED, 1, "RESERVED");
                locks.lock(db, LibC.F_WRLCK, SqliteLocks.SHARED_FIRST, SqliteLocks.SHARED_SIZE, "EXCLUSIVE");
            }
            MemorySegment buffer = arena.allocate(pageSize);
            pages.forEach((pgno, page) -> {
                MemorySegment.copy(page, 0, buffer, ValueLayout.JAVA_BYTE, 0, pageSize);
                check(LibC.pwrite(db, buffer, pageSize, (long) (pgno - 1) * pageSize), "write page " + pgno);
            });
            check(LibC.ftruncate(db, (long) commit * pageSize), "truncate");
            // A database that is (or just became) WAL mode needs an empty -wal for readers to open read-only.
            if (walMode || walMode()) {
                int wal = LibC.open(mountDir.resolve(name + "-wal").toString(),
                        LibC.O_RDWR | LibC.O_CREAT | LibC.O_TRUNC | LibC.O_CLOEXEC, 0644);
                check(wal, "truncate the WAL");
                LibC.close(wal);
            }
            if (walMode) {
                publishEmptyWal(shm, pageSize, commit, arena);
            }
        }
    }

    @Override
    public void close() {
        if (db >= 0) {
            LibC.close(db);
            db = -1;
        }
        if (shm >= 0) {
            LibC.close(shm);
            shm = -1;
        }
    }

    private boolean walMode() throws IOException {
        return DatabaseHeader.isWalMode(backingDatabase);
    }

    /**
     * Writes a wal-index header saying "the WAL is empty, the database has {@code commit} pages",
     * with a bumped change counter so every reader's cached header differs (copy 2 first, then 1).
     * An uninitialised {@code -shm} is left alone: its first user runs recovery on the empty WAL.
     */
    private static void publishEmptyWal(int shm, int pageSize, int commit, Arena arena) throws IOException {
        MemorySegment header = arena.allocate(136);
        if (LibC.pread(shm, header, 136, 0) < 136) {
            return;
        }
        ByteBuffer copy = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN);
        copy.put(header.asSlice(0, 48).toArray(ValueLayout.JAVA_BYTE));
        copy.putInt(0, WAL_INDEX_VERSION).putInt(4, 0).putInt(8, copy.getInt(8) + 1);
        copy.put(12, (byte) 1).put(13, (byte) 0);
        copy.putShort(14, (short) ((pageSize & 0xff00) | (pageSize >> 16)));
        copy.putInt(16, 0).putInt(20, commit);
        WalChecksum sum = new WalChecksum(0, 0).update(copy.array(), 0, 40, ByteOrder.LITTLE_ENDIAN);
        copy.putInt(40, sum.s0()).putInt(44, sum.s1());
        MemorySegment bytes = arena.allocate(48);
        MemorySegment.copy(copy.array(), 0, bytes, ValueLayout.JAVA_BYTE, 0, 48);
        check(LibC.pwrite(shm, bytes, 48, 48), "write wal-index header copy 2");
        check(LibC.pwrite(shm, bytes, 48, 0), "write wal-index header copy 1");
        ByteBuffer info = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        info.putInt(0, 0).putInt(4, 0); // nBackfill, aReadMark[0]
        for (int i = 1; i <= 4; i++) {
            info.putInt(4 + 4 * i, 0xFFFFFFFF);
        }
        MemorySegment marks = arena.allocate(24);
        MemorySegment.copy(info.array(), 0, marks, ValueLayout.JAVA_BYTE, 0, 24);
        check(LibC.pwrite(shm, marks, 24, 96), "write wal-index read marks");
        MemorySegment attempted = arena.allocate(4);
        check(LibC.pwrite(shm, attempted, 4, 128), "write wal-index nBackfillAttempted");
    }

    private static void check(long result, String what) throws IOException {
        if (result < 0) {
            throw new IOException(what + " through the mount failed with errno " + -result);
        }
    }
}
