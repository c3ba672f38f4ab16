package dev.litecluster.ltx;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Merges LTX files with contiguous TXID ranges into one whose effect equals applying them in order: the newest
 * version of each page wins, pages past the final commit are dropped, and pages a file truncated away and
 * nobody rewrote come back as zeros (as they would when the database grows again). A streaming k-way merge by
 * page number: memory is one page per input.
 */
public final class LtxMerger {

    private LtxMerger() {}

    public static LtxTrailer merge(List<Path> inputs, Path output, PageCompression compression) throws IOException {
        List<InputStream> streams = new ArrayList<>();
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(output), 1 << 16)) {
            for (Path p : inputs) {
                streams.add(new BufferedInputStream(Files.newInputStream(p), 1 << 16));
            }
            return merge(streams, out, compression);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(output);
            throw e;
        } finally {
            for (InputStream s : streams) {
                s.close();
            }
        }
    }

    /** Merges {@code inputs} (oldest first) to {@code out}; the streams are not closed. */
    public static LtxTrailer merge(List<InputStream> inputs, OutputStream out, PageCompression compression) throws IOException {
        if (inputs.isEmpty()) {
            throw new IllegalArgumentException("nothing to merge");
        }
        List<Cursor> cursors = new ArrayList<>();
        for (InputStream in : inputs) {
            cursors.add(new Cursor(new LtxDecoder(in)));
        }
        LtxHeader merged = mergedHeader(cursors);
        LtxEncoder encoder = new LtxEncoder(out, merged, compression);
        int pageSize = merged.pageSize();
        int minCommit = cursors.stream().mapToInt(c -> c.header().commit()).min().orElseThrow();
        byte[] zeros = new byte[pageSize];
        int nextZero = minCommit + 1; // pages above every input's commit may need zero-filling
        for (Cursor c : cursors) {
            c.advance();
        }
        while (true) {
            if (nextZero == merged.lockPage()) {
                nextZero++;
            }
            int pgno = nextZero <= merged.commit() ? nextZero : Integer.MAX_VALUE;
            for (Cursor c : cursors) {
                if (c.pgno != 0) {
                    pgno = Math.min(pgno, c.pgno);
                }
            }
            if (pgno == Integer.MAX_VALUE) {
                break;
            }
            if (pgno <= merged.commit()) {
                Cursor winner = winner(cursors, pgno);
                if (winner != null) {
                    encoder.writePage(pgno, winner.page, 0);
                } else if (pgno > minCommit) {
                    encoder.writePage(pgno, zeros, 0);
                }
            }
            for (Cursor c : cursors) {
                if (c.pgno == pgno) {
                    c.advance();
                }
            }
            nextZero = Math.max(nextZero, pgno + 1);
        }
        checkChecksumChain(cursors);
        return encoder.finish(merged.noChecksum() ? 0 : cursors.getLast().decoder.trailer().postApplyChecksum());
    }

    /** The newest version of {@code pgno} that no later file truncated away, or null. */
    private static Cursor winner(List<Cursor> cursors, int pgno) {
        for (int i = cursors.size() - 1; i >= 0; i--) {
            Cursor c = cursors.get(i);
            if (c.pgno == pgno) {
                return c;
            }
            if (c.header().commit() < pgno) {
                return null; // file i dropped the page; older versions are gone
            }
        }
        return null;
    }

    private static LtxHeader mergedHeader(List<Cursor> cursors) throws LtxException {
        LtxHeader first = cursors.getFirst().header();
        LtxHeader last = cursors.getLast().header();
        boolean noChecksum = false;
        for (int i = 0; i < cursors.size(); i++) {
            LtxHeader h = cursors.get(i).header();
            noChecksum |= h.noChecksum();
            if (h.pageSize() != first.pageSize()) {
                throw new LtxException("cannot merge page size " + h.pageSize() + " with page size " + first.pageSize());
            }
            if (i > 0) {
                LtxHeader prev = cursors.get(i - 1).header();
                if (h.minTxid() != prev.maxTxid() + 1) {
                    throw new LtxException("LTX files are not contiguous: " + prev.fileName() + " is followed by " + h.fileName());
                }
            }
        }
        return new LtxHeader(noChecksum ? LtxHeader.FLAG_NO_CHECKSUM : 0, first.pageSize(), last.commit(),
                first.minTxid(), last.maxTxid(), last.timestamp(), noChecksum ? 0 : first.preApplyChecksum(),
                0, 0, 0, 0, last.nodeId());
    }

    /** Each file must start from the database the previous one produced (checked once all trailers are read). */
    private static void checkChecksumChain(List<Cursor> cursors) throws LtxException {
        for (int i = 1; i < cursors.size(); i++) {
            LtxHeader h = cursors.get(i).header();
            long prevPost = cursors.get(i - 1).decoder.trailer().postApplyChecksum();
            if (!h.noChecksum() && prevPost != 0 && h.preApplyChecksum() != prevPost) {
                throw new LtxException("checksum chain broken: " + h.fileName() + " expects pre-apply "
                        + LtxHeader.hex(h.preApplyChecksum()) + ", previous file ends at " + LtxHeader.hex(prevPost));
            }
        }
    }

    /** One input, positioned on its current page ({@code pgno} 0 once exhausted and verified). */
    private static final class Cursor {
        final LtxDecoder decoder;
        final byte[] page;
        int pgno;

        Cursor(LtxDecoder decoder) {
            this.decoder = decoder;
            this.page = new byte[decoder.header().pageSize()];
        }

        LtxHeader header() {
            return decoder.header();
        }

        void advance() throws IOException {
            pgno = decoder.nextPage(page);
        }
    }
}
