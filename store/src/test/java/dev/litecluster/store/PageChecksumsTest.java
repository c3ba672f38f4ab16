package dev.litecluster.store;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class PageChecksumsTest {

    private static PageChecksums randomDatabase(Random random) {
        PageChecksums sums = new PageChecksums();
        int pages = 1 + random.nextInt(200);
        for (int p = 1; p <= pages; p++) {
            sums.set(p, random.nextLong());
        }
        return sums;
    }

    /** Sets, growth and shrinks, as a replicated batch makes them. */
    private static void change(PageChecksums sums, Random random) {
        for (int i = random.nextInt(50); i >= 0; i--) {
            if (random.nextInt(10) == 0) {
                sums.resize(1 + random.nextInt(sums.pages() + 100));
            } else {
                sums.set(1 + random.nextInt(sums.pages() + 20), random.nextLong());
            }
        }
    }

    private static long[] entries(PageChecksums sums, int upTo) {
        long[] entries = new long[upTo];
        for (int p = 1; p <= upTo; p++) {
            entries[p - 1] = sums.page(p);
        }
        return entries;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
    void undoneChangesLeaveEveryEntryTheSizeAndTheChecksumAsBefore(int seed) {
        Random random = new Random(seed);
        PageChecksums sums = randomDatabase(random);
        int pages = sums.pages();
        long checksum = sums.checksum();
        long[] before = entries(sums, pages + 400);

        sums.recordChanges();
        change(sums, random);
        sums.endChanges(false);

        assertThat(sums.pages()).isEqualTo(pages);
        assertThat(sums.checksum()).isEqualTo(checksum);
        assertThat(entries(sums, pages + 400)).isEqualTo(before);
        long[] raw = sums.raw();
        for (int i = pages; i < raw.length; i++) {
            assertThat(raw[i]).as("entry past the end, which growth counts as absent").isZero();
        }
        change(sums, random); // still usable, and no longer recording
        sums.recordChanges();
        sums.endChanges(false);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4, 5})
    void keptChangesEqualTheSameChangesUnrecorded(int seed) {
        PageChecksums recorded = randomDatabase(new Random(seed));
        PageChecksums plain = randomDatabase(new Random(seed));
        recorded.recordChanges();
        change(recorded, new Random(seed + 100));
        recorded.endChanges(true);
        change(plain, new Random(seed + 100));
        assertThat(recorded.pages()).isEqualTo(plain.pages());
        assertThat(recorded.checksum()).isEqualTo(plain.checksum());
        assertThat(entries(recorded, plain.pages() + 100)).isEqualTo(entries(plain, plain.pages() + 100));
    }
}
