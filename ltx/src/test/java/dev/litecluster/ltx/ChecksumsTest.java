package dev.litecluster.ltx;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class ChecksumsTest {

    @Test
    void pageChecksumIsCrcOfBigEndianPgnoAndPageWithBit63() {
        byte[] page = new byte[512];
        page[0] = 42;
        byte[] prefixed = ByteBuffer.allocate(516).putInt(7).put(page).array();
        assertThat(Checksums.page(7, page)).isEqualTo((1L << 63) | Crc64.checksum(prefixed));
        assertThat(Checksums.page(7, page) & (1L << 63)).isNotZero();
    }

    @Test
    void pageChecksumFromThePagesCrcEqualsHashingItWithItsNumber() {
        byte[] page = new byte[4096];
        new java.util.Random(5).nextBytes(page);
        assertThat(Checksums.pageFromCrc(77, Crc64.checksum(page), page.length)).isEqualTo(Checksums.page(77, page));
    }

    @Test
    void lockPageIsThePageHoldingTheOneGibibyteByte() {
        assertThat(Checksums.lockPage(512)).isEqualTo(2097153);
        assertThat(Checksums.lockPage(4096)).isEqualTo(262145);
        assertThat(Checksums.lockPage(65536)).isEqualTo(16385);
    }

    @Test
    void emptyDatabaseChecksumIsBit63() throws IOException {
        assertThat(Checksums.database(new byte[0], 4096)).isEqualTo(Checksums.EMPTY);
    }

    @Test
    void databaseChecksumIsXorOfPageChecksums() throws IOException {
        byte[] db = new byte[3 * 1024];
        for (int i = 0; i < db.length; i++) {
            db[i] = (byte) (i * 31);
        }
        long xor = 0;
        for (int pgno = 1; pgno <= 3; pgno++) {
            xor ^= Checksums.page(pgno, db, (pgno - 1) * 1024, 1024);
        }
        assertThat(Checksums.database(db, 1024)).isEqualTo(Checksums.EMPTY | xor);
    }

    @Test
    void incrementalUpdateEqualsRecomputation() throws IOException {
        byte[] db = new byte[4 * 512];
        long before = Checksums.database(db, 512);
        long oldSum = Checksums.page(2, db, 512, 512);
        db[600] = 9;
        long after = Checksums.update(before, oldSum, Checksums.page(2, db, 512, 512));
        assertThat(after).isEqualTo(Checksums.database(db, 512));
    }

    @Test
    void lockPageIsExcludedFromTheDatabaseChecksum() throws IOException {
        int pageSize = 512;
        int lockPage = Checksums.lockPage(pageSize);
        // Pages are all zeros except the lock page and the one after it; the lock page's contents must not matter.
        Checksums.PageSource withGarbageLockPage = (pgno, dst) -> java.util.Arrays.fill(dst, (byte) (pgno >= lockPage ? pgno : 0));
        long sum = Checksums.database(pageSize, lockPage + 1, withGarbageLockPage);
        long expected = Checksums.database(pageSize, lockPage - 1, (pgno, dst) -> java.util.Arrays.fill(dst, (byte) 0));
        byte[] after = new byte[pageSize];
        java.util.Arrays.fill(after, (byte) (lockPage + 1));
        assertThat(sum).isEqualTo(Checksums.EMPTY | (expected ^ Checksums.page(lockPage + 1, after)));
    }
}
