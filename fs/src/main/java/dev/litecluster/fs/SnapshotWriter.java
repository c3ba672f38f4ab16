package dev.litecluster.fs;

import dev.litecluster.fuse.sys.LibC;
import dev.litecluster.ltx.Checksums;
import dev.litecluster.ltx.LtxEncoder;
import dev.litecluster.ltx.LtxHeader;
import dev.litecluster.ltx.PageCompression;
import dev.litecluster.ltx.Position;
import dev.litecluster.store.Database;
import dev.litecluster.store.sqlite.WalFollower;
import dev.litecluster.store.sqlite.WalSource;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/**
 * Writes a snapshot (an LTX file holding every page, minTXID 1) of a primary's database at one
 * position while apps keep writing. Rollback mode holds SHARED on the database file through the
 * mount (writers cannot commit meanwhile); WAL mode holds CKPT (no checkpoint rewrites the
 * database file) and READ1 (the WAL cannot restart), so writers go on appending frames and the
 * snapshot reads the database file plus the WAL up to the commit that matches the position. The
 * pages read must reach the position's checksum, or the snapshot is refused.
 */
public final class SnapshotWriter {
    private final Path mountDir;

    public SnapshotWriter(Path mountDir) {
        this.mountDir = mountDir;
    }

    /** Writes the snapshot of {@code database} to {@code target}; returns the position it holds. */
    public Position write(Database database, Path target) throws IOException {
        String name = database.name();
        boolean wal = database.snapshotPoint().walMode();
        int fd = LibC.open(mountDir.resolve(wal ? name + "-shm" : name).toString(),
                (wal ? LibC.O_RDWR | LibC.O_CREAT : LibC.O_RDONLY) | LibC.O_CLOEXEC, 0644);
        if (fd < 0) {
            throw new IOException("snapshot of " + name + ": cannot open it through the mount (errno " + -fd + ")");
        }
        try (SqliteLocks locks = new SqliteLocks(name, "snapshot")) {
            if (wal) {
                locks.lock(fd, LibC.F_WRLCK, SqliteLocks.SHM_CKPT, 1, "WAL CKPT");
                locks.lock(fd, LibC.F_RDLCK, SqliteLocks.SHM_READ0 + 1, 1, "WAL READ1");
            } else {
                locks.lock(fd, LibC.F_RDLCK, SqliteLocks.SHARED_FIRST, SqliteLocks.SHARED_SIZE, "SHARED");
            }
            Database.SnapshotPoint point = database.snapshotPoint();
            Map<Integer, Long> walPages = point.walMode() ? walPages(database, point) : Map.of();
            return encode(database, point, walPages, target);
        } finally {
            LibC.close(fd);
        }
    }

    /** The newest committed frame of each page in the WAL, up to the snapshot point. */
    private static Map<Integer, Long> walPages(Database database, Database.SnapshotPoint point) throws IOException {
        Map<Integer, Long> pages = new HashMap<>();
        int frameSize = WalFollower.FRAME_HEADER_SIZE + point.pageSize();
        try (FileChannel file = FileChannel.open(database.files().wal(), StandardOpenOption.READ)) {
            WalSource wal = database.walAsWritten(file);
            byte[] header = new byte[4];
            for (long offset = WalFollower.HEADER_SIZE; offset + frameSize <= point.walEnd(); offset += frameSize) {
                readFully(wal, header, offset);
                pages.put(ByteBuffer.wrap(header).getInt(), offset + WalFollower.FRAME_HEADER_SIZE);
            }
        }
        return pages;
    }

    private static Position encode(Database database, Database.SnapshotPoint point, Map<Integer, Long> walPages,
                                   Path target) throws IOException {
        Position position = point.position();
        int pageSize = point.pageSize();
        int lockPage = Checksums.lockPage(pageSize);
        byte[] page = new byte[pageSize];
        long checksum = Checksums.EMPTY;
        try (FileChannel db = FileChannel.open(database.files().database(), StandardOpenOption.READ);
             FileChannel walFile = walPages.isEmpty() ? null : FileChannel.open(database.files().wal(), StandardOpenOption.READ);
             OutputStream out = new BufferedOutputStream(Files.newOutputStream(target), 1 << 16)) {
            WalSource wal = walFile == null ? null : database.walAsWritten(walFile);
            LtxEncoder encoder = new LtxEncoder(out, new LtxHeader(0, pageSize, point.pages(), 1, position.txid(),
                    System.currentTimeMillis(), 0, 0, 0, 0, 0, 0), PageCompression.LZ4);
            for (int p = 1; p <= point.pages(); p++) {
                if (p == lockPage) {
                    continue;
                }
                Long walOffset = walPages.get(p);
                if (walOffset != null) {
                    readFully(wal, page, walOffset);
                } else {
                    readFully(db, page, (long) (p - 1) * pageSize);
                }
                checksum = Checksums.update(checksum, 0, Checksums.page(p, page, 0, pageSize));
                encoder.writePage(p, page, 0);
            }
            if (checksum != position.checksum()) {
                throw new IOException("snapshot of %s does not match its position %s (read %016x)"
                        .formatted(database.name(), position, checksum));
            }
            encoder.finish(checksum);
        }
        return position;
    }

    /** A committed frame's bytes: the WAL cannot end inside them while the snapshot's locks are held. */
    private static void readFully(WalSource wal, byte[] into, long position) throws IOException {
        if (wal.read(into, 0, into.length, position) != into.length) {
            throw new IOException("the WAL ends inside the committed frame at " + position);
        }
    }

    private static void readFully(FileChannel in, byte[] into, long position) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(into);
        while (buffer.hasRemaining()) {
            if (in.read(buffer, position + buffer.position()) < 0) {
                java.util.Arrays.fill(into, buffer.position(), into.length, (byte) 0);
                return;
            }
        }
    }
}
