package dev.litecluster.fs;

import dev.litecluster.ltx.Checksums;
import dev.litecluster.ltx.LtxDecoder;
import dev.litecluster.ltx.LtxHeader;
import dev.litecluster.store.TxLog;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/** The replay oracle: applies a database's log from empty and checks it against the database file. */
final class LogReplay {
    private LogReplay() {
    }

    /** Where a replay ended: the last TXID, the database checksum, and the database's shape. */
    record Replayed(long txid, long checksum, int pageSize, int pages) {
    }

    /**
     * Replays the log from empty into a scratch file (so databases over 1 GiB fit), checking every
     * record's pre- and post-apply checksums as it goes, then asserts that the result equals
     * {@code database} page for page (the lock page excepted: SQLite never writes it).
     */
    static Replayed assertReplaysTo(Path logDir, Path database) throws IOException {
        Path image = Files.createTempFile(logDir.getParent(), "replay", ".db");
        try (FileChannel out = FileChannel.open(image, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            Replayed replayed = replayInto(logDir, out);
            try (FileChannel actual = FileChannel.open(database, StandardOpenOption.READ)) {
                assertThat(actual.size()).as("database file size").isEqualTo((long) replayed.pages() * replayed.pageSize());
                assertSamePages(out, actual, replayed);
            }
            return replayed;
        } finally {
            Files.delete(image);
        }
    }

    private static Replayed replayInto(Path logDir, FileChannel out) throws IOException {
        long[] sums = new long[1];
        long checksum = 0;
        int pageSize = 0;
        int pages = 0;
        try (TxLog log = TxLog.open(logDir)) {
            assertThat(log.firstTxid()).as("log starts with the first transaction").isEqualTo(1);
            for (long t = 1; t <= log.lastTxid(); t++) {
                try (InputStream record = log.read(t)) {
                    LtxDecoder decoder = new LtxDecoder(record);
                    LtxHeader header = decoder.header();
                    assertThat(header.minTxid()).isEqualTo(t);
                    assertThat(header.preApplyChecksum()).as("pre-apply checksum of txid %d", t).isEqualTo(checksum);
                    if (header.pageSize() != pageSize) { // a page size change rewrites every page
                        pageSize = header.pageSize();
                        pages = 0;
                        sums = new long[1];
                        checksum = Checksums.EMPTY;
                        out.truncate(0);
                    }
                    int commit = header.commit();
                    int lockPage = Checksums.lockPage(pageSize);
                    for (int p = commit + 1; p <= pages; p++) {
                        checksum ^= sums[p];
                    }
                    sums = Arrays.copyOf(sums, commit + 1);
                    out.truncate((long) commit * pageSize);
                    byte[] page = new byte[pageSize];
                    for (int p = pages + 1; p <= commit; p++) { // growth not in the record reads as zeros
                        if (p != lockPage) {
                            sums[p] = Checksums.page(p, page, 0, pageSize);
                            checksum ^= sums[p];
                        }
                    }
                    for (int p = decoder.nextPage(page); p != 0; p = decoder.nextPage(page)) {
                        assertThat(p).as("txid %d holds the lock page", t).isNotEqualTo(lockPage);
                        write(out, page, (long) (p - 1) * pageSize);
                        long sum = Checksums.page(p, page, 0, pageSize);
                        checksum ^= sums[p] ^ sum;
                        sums[p] = sum;
                    }
                    pages = commit;
                    checksum |= Checksums.EMPTY;
                    if (out.size() < (long) pages * pageSize) {
                        write(out, new byte[1], (long) pages * pageSize - 1);
                    }
                    assertThat(decoder.trailer().postApplyChecksum()).as("post-apply checksum of txid %d", t).isEqualTo(checksum);
                }
            }
            return new Replayed(log.lastTxid(), checksum, pageSize, pages);
        }
    }

    private static void assertSamePages(FileChannel expected, FileChannel actual, Replayed replayed) throws IOException {
        int size = replayed.pageSize();
        ByteBuffer a = ByteBuffer.allocate(size);
        ByteBuffer b = ByteBuffer.allocate(size);
        for (int p = 1; p <= replayed.pages(); p++) {
            if (p == Checksums.lockPage(size)) {
                continue;
            }
            read(expected, a, (long) (p - 1) * size);
            read(actual, b, (long) (p - 1) * size);
            int mismatch = Arrays.mismatch(a.array(), b.array());
            assertThat(mismatch).as("first differing byte of page %d, database file vs replayed log", p).isEqualTo(-1);
        }
    }

    private static void write(FileChannel out, byte[] data, long position) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(data);
        while (buffer.hasRemaining()) {
            out.write(buffer, position + buffer.position());
        }
    }

    private static void read(FileChannel in, ByteBuffer buffer, long position) throws IOException {
        buffer.clear();
        while (buffer.hasRemaining()) {
            if (in.read(buffer, position + buffer.position()) < 0) {
                throw new IOException("short read at " + position);
            }
        }
        buffer.flip();
    }
}
