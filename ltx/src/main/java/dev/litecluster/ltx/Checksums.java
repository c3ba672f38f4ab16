package dev.litecluster.ltx;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * LTX page and rolling database checksums. Every checksum has bit 63 set so that it is never zero;
 * a database checksum is the XOR of its page checksums, so it can be updated one page at a time.
 */
public final class Checksums {
    /** Bit 63, set on every checksum; also the checksum of an empty database. */
    public static final long EMPTY = 1L << 63;

    /** Byte offset of SQLite's PENDING_BYTE; the page holding it is never written and never checksummed. */
    private static final long PENDING_BYTE = 0x40000000L;

    /** Supplies page {@code pgno} into {@code dst} (page size bytes), for {@link #database(int, int, PageSource)}. */
    @FunctionalInterface
    public interface PageSource {
        void read(int pgno, byte[] dst) throws IOException;
    }

    private Checksums() {}

    public static long page(int pgno, byte[] page) {
        return page(pgno, page, 0, page.length);
    }

    /** {@code 1<<63 | crc64(pgno as u32 big-endian ‖ page)}. */
    public static long page(int pgno, byte[] page, int off, int pageSize) {
        return EMPTY | Crc64.update(Crc64.updateInt(0, pgno), page, off, pageSize);
    }

    /** The page checksum from {@code pageCrc = Crc64.update(0, page)}: the page is not hashed again. */
    public static long pageFromCrc(int pgno, long pageCrc, int pageSize) {
        return EMPTY | Crc64.combine(Crc64.updateInt(0, pgno), pageCrc, pageSize);
    }

    /** Replaces one page's contribution to a database checksum. */
    public static long update(long db, long oldPageSum, long newPageSum) {
        return EMPTY | (db ^ oldPageSum ^ newPageSum);
    }

    public static int lockPage(int pageSize) {
        return (int) (PENDING_BYTE / pageSize) + 1;
    }

    /** Checksum of pages 1..pageCount (except the lock page) read from {@code pages}. */
    public static long database(int pageSize, int pageCount, PageSource pages) throws IOException {
        int lockPage = lockPage(pageSize);
        byte[] buf = new byte[pageSize];
        long sum = EMPTY;
        for (int pgno = 1; pgno <= pageCount; pgno++) {
            if (pgno == lockPage) {
                continue;
            }
            pages.read(pgno, buf);
            sum ^= page(pgno, buf, 0, pageSize);
        }
        return EMPTY | sum;
    }

    /** Checksum of an in-memory database image (its length must be a multiple of the page size). */
    public static long database(byte[] db, int pageSize) throws IOException {
        requireWholePages(db.length, pageSize);
        return database(pageSize, db.length / pageSize,
                (pgno, dst) -> System.arraycopy(db, (pgno - 1) * pageSize, dst, 0, pageSize));
    }

    /** Checksum of the database in {@code file}, sized by the file length. */
    public static long database(FileChannel file, int pageSize) throws IOException {
        long size = file.size();
        requireWholePages(size, pageSize);
        return database(pageSize, Math.toIntExact(size / pageSize), (pgno, dst) -> readPage(file, pgno, dst));
    }

    public static long database(Path file, int pageSize) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return database(ch, pageSize);
        }
    }

    static void readPage(FileChannel file, int pgno, byte[] dst) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(dst);
        long pos = (long) (pgno - 1) * dst.length;
        while (buf.hasRemaining()) {
            int n = file.read(buf, pos + buf.position());
            if (n < 0) {
                throw new EOFException("database ends inside page " + pgno);
            }
        }
    }

    private static void requireWholePages(long size, int pageSize) throws LtxException {
        if (size % pageSize != 0) {
            throw new LtxException("database size " + size + " is not a multiple of the page size " + pageSize);
        }
    }
}
