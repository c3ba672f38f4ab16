package dev.litecluster.ltx;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Applies an LTX file to a database file. The whole file is decoded and verified (file checksum, and the
 * database checksums when the file carries them) before the first byte of the database is written, so a bad
 * file changes nothing. Writes are not forced: the caller decides when to {@code force}.
 */
public final class LtxApplier {

    /** What an apply did. {@code checksum} is the database checksum afterwards, or 0 when it was not tracked. */
    public record Result(LtxHeader header, LtxTrailer trailer, long checksum) {
        public Position position() {
            return new Position(header.maxTxid(), checksum);
        }
    }

    private LtxApplier() {}

    /**
     * Applies without a known database checksum. A file that carries checksums is still verified: the current
     * checksum is computed by reading the database once (snapshots need no read).
     */
    public static Result apply(InputStream ltx, FileChannel db) throws IOException {
        LtxDecoder decoder = new LtxDecoder(ltx);
        LtxHeader h = decoder.header();
        boolean verify = !h.noChecksum();
        long current = verify && !h.isSnapshot() ? Checksums.database(db, h.pageSize()) : 0;
        return apply(decoder, db, current, verify);
    }

    /**
     * Applies on top of a database whose checksum is {@code dbChecksum} (the pre-apply checksum of this file when
     * it is the next one); the result carries the new checksum, maintained incrementally from the pages touched.
     */
    public static Result apply(InputStream ltx, FileChannel db, long dbChecksum) throws IOException {
        return apply(new LtxDecoder(ltx), db, dbChecksum, true);
    }

    private static Result apply(LtxDecoder decoder, FileChannel db, long current, boolean track) throws IOException {
        LtxHeader h = decoder.header();
        int pageSize = h.pageSize();
        try (PageStage stage = new PageStage(pageSize)) {
            byte[] page = new byte[pageSize];
            for (int pgno; (pgno = decoder.nextPage(page)) != 0; ) {
                stage.add(pgno, page);
            }
            LtxTrailer trailer = decoder.trailer();
            long checksum = 0;
            if (track) {
                if (!h.isSnapshot() && !h.noChecksum() && current != h.preApplyChecksum()) {
                    throw new LtxException("database checksum " + LtxHeader.hex(current) + " does not match the pre-apply checksum "
                            + LtxHeader.hex(h.preApplyChecksum()) + " of TXID " + Long.toUnsignedString(h.minTxid()));
                }
                checksum = checksumAfter(stage, db, h, h.isSnapshot() ? Checksums.EMPTY : current);
                if (!h.noChecksum() && checksum != trailer.postApplyChecksum()) {
                    throw new LtxException("post-apply checksum mismatch: file says " + LtxHeader.hex(trailer.postApplyChecksum())
                            + ", applying it gives " + LtxHeader.hex(checksum));
                }
            }
            write(stage, db, h);
            return new Result(h, trailer, checksum);
        }
    }

    /**
     * The database checksum after applying, from the checksum before: staged pages replace their old versions,
     * pages past the new commit drop out, and pages the database grows by without being written count as zeros.
     * A snapshot replaces every page, so its start is {@link Checksums#EMPTY} and nothing old is read.
     */
    private static long checksumAfter(PageStage stage, FileChannel db, LtxHeader h, long start) throws IOException {
        int pageSize = h.pageSize();
        int lockPage = h.lockPage();
        int oldPages = h.isSnapshot() ? 0 : (int) (db.size() / pageSize);
        byte[] old = new byte[pageSize];
        byte[] scratch = new byte[pageSize];
        byte[] zeros = new byte[pageSize];
        long sum = start;
        int next = 0;
        for (int pgno = 1; pgno <= Math.max(oldPages, h.commit()); pgno++) {
            if (pgno == lockPage) {
                continue;
            }
            boolean staged = next < stage.count() && stage.pgno(next) == pgno;
            boolean existed = pgno <= oldPages;
            if (!staged && existed && pgno <= h.commit()) {
                continue; // unchanged
            }
            if (existed) {
                Checksums.readPage(db, pgno, old);
                sum ^= Checksums.page(pgno, old);
            }
            if (staged) {
                sum ^= Checksums.page(pgno, stage.page(next++, scratch));
            } else if (pgno <= h.commit()) {
                sum ^= Checksums.page(pgno, zeros);
            }
        }
        return Checksums.EMPTY | sum;
    }

    private static void write(PageStage stage, FileChannel db, LtxHeader h) throws IOException {
        int pageSize = h.pageSize();
        byte[] scratch = new byte[pageSize];
        for (int i = 0; i < stage.count(); i++) {
            ByteBuffer buf = ByteBuffer.wrap(stage.page(i, scratch), 0, pageSize);
            long pos = (long) (stage.pgno(i) - 1) * pageSize;
            while (buf.hasRemaining()) {
                db.write(buf, pos + buf.position());
            }
        }
        long size = (long) h.commit() * pageSize;
        if (db.size() > size) {
            db.truncate(size);
        } else if (db.size() < size) {
            db.write(ByteBuffer.allocate(1), size - 1); // extend; the gap reads as zeros
        }
    }
}
