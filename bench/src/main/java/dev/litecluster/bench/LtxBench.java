package dev.litecluster.bench;

import dev.litecluster.ltx.Crc64;
import dev.litecluster.ltx.LtxDecoder;
import dev.litecluster.ltx.LtxEncoder;
import dev.litecluster.ltx.LtxHeader;
import dev.litecluster.ltx.PageCompression;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Random;

/**
 * LTX throughput: encode and decode of 4 KiB pages (half random, half repetitive, like SQLite b-tree pages with
 * free space) with LZ4 and NONE, and raw CRC-64. Warm-up rounds, then the median of measured rounds, in MB/s
 * of uncompressed page data. Prints a markdown table.
 */
public final class LtxBench {
    private static final int PAGE_SIZE = 4096;
    private static final int PAGES = 4096; // 16 MiB per round
    private static final int WARMUP = 5;
    private static final int ROUNDS = 9;

    @FunctionalInterface
    private interface Round {
        void run() throws IOException;
    }

    public static void main(String[] args) throws IOException {
        byte[] pages = pages(new Random(42));
        long bytes = (long) PAGES * PAGE_SIZE;
        System.out.println("| operation | compression | MB/s (median of " + ROUNDS + ") | file size / data |");
        System.out.println("|---|---|---:|---:|");
        for (PageCompression c : PageCompression.values()) {
            byte[] file = encode(pages, c);
            row("encode", c.name(), bytes, () -> encode(pages, c), "%.1f%%".formatted(100.0 * file.length / bytes));
            row("decode (verified)", c.name(), bytes, () -> decode(file), "");
        }
        long[] sink = new long[1];
        row("CRC-64/ISO", "-", bytes, () -> sink[0] ^= Crc64.checksum(pages), "");
        if (sink[0] == 42) {
            System.out.println(); // keeps the CRC result observable so the JIT cannot drop it
        }
    }

    private static void row(String op, String compression, long bytes, Round round, String ratio) throws IOException {
        double[] mbps = new double[ROUNDS];
        for (int i = 0; i < WARMUP + ROUNDS; i++) {
            long t0 = System.nanoTime();
            round.run();
            long ns = System.nanoTime() - t0;
            if (i >= WARMUP) {
                mbps[i - WARMUP] = bytes / 1e6 / (ns / 1e9);
            }
        }
        Arrays.sort(mbps);
        System.out.printf("| %s | %s | %.0f | %s |%n", op, compression, mbps[ROUNDS / 2], ratio);
    }

    private static byte[] encode(byte[] pages, PageCompression c) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(pages.length + (1 << 20));
        LtxEncoder enc = new LtxEncoder(out, LtxHeader.of(PAGE_SIZE, PAGES, 1, 1, 0, 0), c);
        for (int pgno = 1; pgno <= PAGES; pgno++) {
            enc.writePage(pgno, pages, (pgno - 1) * PAGE_SIZE);
        }
        enc.finish(Long.MIN_VALUE);
        return out.toByteArray();
    }

    private static void decode(byte[] file) throws IOException {
        new LtxDecoder(new ByteArrayInputStream(file)).verify();
    }

    /** Each page: first half random bytes, second half a short repeating record pattern. */
    private static byte[] pages(Random random) {
        byte[] all = new byte[PAGES * PAGE_SIZE];
        byte[] half = new byte[PAGE_SIZE / 2];
        for (int p = 0; p < PAGES; p++) {
            random.nextBytes(half);
            System.arraycopy(half, 0, all, p * PAGE_SIZE, half.length);
            for (int i = PAGE_SIZE / 2; i < PAGE_SIZE; i++) {
                all[p * PAGE_SIZE + i] = (byte) ("row-%04d|".charAt(i % 9) + p % 3);
            }
        }
        return all;
    }
}
