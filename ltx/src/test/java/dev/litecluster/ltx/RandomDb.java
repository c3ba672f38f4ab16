package dev.litecluster.ltx;

import java.io.IOException;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * An in-memory database image and random transactions against it, producing LTX files whose checksums come
 * from the image (so every file is valid and chains onto the previous one).
 */
final class RandomDb {
    final int pageSize;
    private final Random random;
    byte[] image = new byte[0];
    long txid;

    RandomDb(int pageSize, long seed) {
        this.pageSize = pageSize;
        this.random = new Random(seed);
    }

    /** SQLite-like page: a random half and a repetitive half. */
    byte[] randomPage() {
        byte[] page = new byte[pageSize];
        byte[] random = new byte[pageSize / 2];
        this.random.nextBytes(random);
        System.arraycopy(random, 0, page, 0, random.length);
        byte fill = (byte) this.random.nextInt(4);
        for (int i = pageSize / 2; i < pageSize; i++) {
            page[i] = (byte) (fill + i % 16);
        }
        return page;
    }

    /** Commits a transaction that writes some pages and resizes the database; returns its LTX file. */
    byte[] commit(int commit, double writeFraction, PageCompression compression) throws IOException {
        long minTxid = ++txid;
        Map<Integer, byte[]> pages = new TreeMap<>();
        for (int pgno = 1; pgno <= commit; pgno++) {
            if (minTxid == 1 || random.nextDouble() < writeFraction) {
                pages.put(pgno, randomPage());
            }
        }
        long pre = minTxid == 1 ? 0 : Checksums.database(image, pageSize);
        image = apply(image, pages, commit, pageSize);
        LtxHeader header = LtxHeader.of(pageSize, commit, minTxid, minTxid, 1_700_000_000_000L + minTxid, pre);
        return TestData.encode(header, pages, compression, Checksums.database(image, pageSize));
    }

    static byte[] apply(byte[] image, Map<Integer, byte[]> pages, int commit, int pageSize) {
        byte[] next = Arrays.copyOf(image, commit * pageSize);
        pages.forEach((pgno, page) -> System.arraycopy(page, 0, next, (pgno - 1) * pageSize, pageSize));
        return next;
    }
}
