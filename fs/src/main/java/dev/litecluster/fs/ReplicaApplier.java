package dev.litecluster.fs;

import dev.litecluster.fuse.sys.LibC;
import dev.litecluster.store.DatabaseFiles;
import dev.litecluster.store.ReplicaWriter;
import dev.litecluster.store.sqlite.DatabaseHeader;
import dev.litecluster.store.sqlite.WalChecksum;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes replicated transactions into a replica's database under the locks a SQLite writer takes,
 * taken through the mount (DESIGN.md decision 7). Pages go straight to the backing file and into
 * the kernel's page cache of the mount ({@link MountPageCache}): no round trip through our own
 * filesystem per page. Truncation, {@code -wal} and {@code -shm} go through the mount, so every
 * reader's mmapped {@code -shm} stays coherent. Rollback mode: PENDING, RESERVED and EXCLUSIVE on
 * the database file. WAL mode: WRITE, CKPT and every READ mark on {@code -shm}; then the
 * WAL is truncated and a fresh wal-index header with an empty WAL is published, so readers drop
 * their cache — written into a shared mapping of {@code -shm} through the mount, the same pages
 * readers map, so it costs no request to this process's own filesystem while the locks are held.
 */
public final class ReplicaApplier implements ReplicaWriter {
    private static final int WAL_INDEX_VERSION = 3007000;
    /** Two copies of the 48-byte header and the checkpoint info (read marks). */
    private static final int WAL_INDEX_HEADER = 136;

    private final Path mountDir;
    private final DatabaseFiles files;
    private final MountPageCache cache;
    /** Descriptors through the mount, kept open between transactions (-1 until first needed). */
    private int db = -1;
    private int shm = -1;
    /** The backing database file (null until first needed). */
    private FileChannel backing;
    /** The wal-index header and checkpoint info, mapped through the mount (null until first needed). */
    private MemorySegment walIndex;
    private Arena walIndexMapping;
    private volatile boolean stopped;

    public ReplicaApplier(Path mountDir, DatabaseFiles files, MountPageCache cache) {
        this.mountDir = mountDir;
        this.files = files;
        this.cache = cache;
    }

    @Override
    public void write(int pageSize, int commit, Pages pages) throws IOException {
        String name = files.name();
        boolean walMode = walMode();
        if (db < 0) {
            db = SqliteLocks.open(mountDir, name);
        }
        if (walMode && shm < 0) {
            shm = SqliteLocks.open(mountDir, name + "-shm");
        }
        if (backing == null) {
            backing = FileChannel.open(files.database(), StandardOpenOption.WRITE);
        }
        try (SqliteLocks locks = new SqliteLocks(name, "apply", () -> stopped)) {
            if (walMode) {
                locks.lock(shm, LibC.F_RDLCK, SqliteLocks.SHM_DMS, 1, "DMS");
                // Not RECOVER: a reader that meets the header mid-update then retries at once inside SQLite;
                // with RECOVER held it gets SQLITE_BUSY_RECOVERY and its busy handler sleeps 1, 2, 5, 10… ms.
                // Holding WRITE is what keeps any other connection from running recovery.
                locks.lock(shm, LibC.F_WRLCK, SqliteLocks.SHM_WRITE, 2, "WAL WRITE/CKPT");
                locks.lockEach(shm, SqliteLocks.SHM_READ0, 5, 200, "WAL READ");
            } else {
                locks.lock(db, LibC.F_WRLCK, SqliteLocks.PENDING, 1, "PENDING");
                locks.lock(db, LibC.F_WRLCK, SqliteLocks.RESERVED, 1, "RESERVED");
                locks.lock(db, LibC.F_WRLCK, SqliteLocks.SHARED_FIRST, SqliteLocks.SHARED_SIZE, "EXCLUSIVE");
            }
            boolean[] walModeAfter = {walMode};
            MountPageCache.Update update = cache.update(name);
            pages.forEach((pgno, page) -> {
                if (pgno == 1) {
                    walModeAfter[0] = DatabaseHeader.parse(page).writeVersion() == 2;
                }
                long offset = (long) (pgno - 1) * pageSize;
                ByteBuffer data = ByteBuffer.wrap(page, 0, pageSize);
                while (data.hasRemaining()) {
                    backing.write(data, offset + data.position());
                }
                update.written(offset, page);
            });
            update.finish();
            long size = (long) commit * pageSize;
            if (backing.size() != size) {
                check(LibC.ftruncate(db, size), "truncate");
            }
            // A database that is (or just became) WAL mode needs an empty -wal for readers to open read-only.
            if (walModeAfter[0]) {
                emptyWal();
            }
            if (walMode) {
                publishEmptyWal(pageSize, commit);
            }
        }
    }

    /** Creates or empties the -wal through the mount, unless it already exists and is empty (nothing else writes it). */
    private void emptyWal() throws IOException {
        if (Files.exists(files.wal()) && Files.size(files.wal()) == 0) {
            return;
        }
        int wal = LibC.open(mountDir.resolve(files.name() + "-wal").toString(),
                LibC.O_RDWR | LibC.O_CREAT | LibC.O_TRUNC | LibC.O_CLOEXEC, 0644);
        check(wal, "truncate the WAL");
        LibC.close(wal);
    }

    @Override
    public void stop() {
        stopped = true;
    }

    @Override
    public void close() throws IOException {
        if (backing != null) {
            backing.close();
            backing = null;
        }
        if (db >= 0) {
            LibC.close(db);
            db = -1;
        }
        if (shm >= 0) {
            LibC.close(shm);
            shm = -1;
        }
        if (walIndexMapping != null) {
            walIndexMapping.close();
            walIndexMapping = null;
            walIndex = null;
        }
    }

    private boolean walMode() throws IOException {
        return DatabaseHeader.isWalMode(files.database());
    }

    /**
     * Writes a wal-index header saying "the WAL is empty, the database has {@code commit} pages",
     * with a bumped change counter so every reader's cached header differs, and resets the
     * checkpoint info. Copy 2 is written first, then the checkpoint info, then copy 1, as SQLite's
     * writer orders them. An uninitialised {@code -shm} is left alone: its first user runs recovery
     * on the empty WAL. Called holding the DMS lock, so no first connection can shrink it meanwhile.
     */
    private void publishEmptyWal(int pageSize, int commit) throws IOException {
        MemorySegment index = walIndex();
        if (index == null) {
            return;
        }
        ByteBuffer b = ByteBuffer.allocate(WAL_INDEX_HEADER).order(ByteOrder.LITTLE_ENDIAN);
        MemorySegment header = MemorySegment.ofBuffer(b);
        MemorySegment.copy(index, 0, header, 0, WAL_INDEX_HEADER);
        b.putInt(0, WAL_INDEX_VERSION).putInt(4, 0).putInt(8, b.getInt(8) + 1);
        b.put(12, (byte) 1).put(13, (byte) 0);
        b.putShort(14, (short) ((pageSize & 0xff00) | (pageSize >> 16)));
        b.putInt(16, 0).putInt(20, commit);
        WalChecksum sum = new WalChecksum(0, 0).update(b.array(), 0, 40, ByteOrder.LITTLE_ENDIAN);
        b.putInt(40, sum.s0()).putInt(44, sum.s1());
        MemorySegment.copy(header, 0, header, 48, 48);
        b.putInt(96, 0).putInt(100, 0); // nBackfill, aReadMark[0]
        for (int i = 1; i <= 4; i++) {
            b.putInt(100 + 4 * i, 0xFFFFFFFF);
        }
        b.putInt(128, 0); // nBackfillAttempted
        MemorySegment.copy(header, 48, index, 48, 48);
        VarHandle.fullFence();
        MemorySegment.copy(header, 96, index, 96, WAL_INDEX_HEADER - 96);
        VarHandle.fullFence();
        MemorySegment.copy(header, 0, index, 0, 48);
    }

    /** The mapped start of {@code -shm}, or null while it is shorter than the header (not initialised). */
    private MemorySegment walIndex() throws IOException {
        // Apps change its size only through the mount, so the backing file's size is the mount's.
        long size;
        try {
            size = Files.size(files.shm());
        } catch (NoSuchFileException e) {
            return null;
        }
        if (size < WAL_INDEX_HEADER) {
            return null; // mapping it would grow it, and touching a mapping past the end of a file faults
        }
        if (walIndex == null) {
            Arena mapping = Arena.ofShared();
            try (FileChannel channel = FileChannel.open(mountDir.resolve(files.name() + "-shm"),
                    StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                walIndex = channel.map(FileChannel.MapMode.READ_WRITE, 0, WAL_INDEX_HEADER, mapping);
            } catch (IOException | RuntimeException e) {
                mapping.close();
                throw e;
            }
            walIndexMapping = mapping;
        }
        return walIndex;
    }

    private static void check(long result, String what) throws IOException {
        if (result < 0) {
            throw new IOException(what + " through the mount failed with errno " + -result);
        }
    }
}
