package dev.litecluster.ltx;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Crc64Test {

    @Test
    void checkValueMatchesGoCrc64Iso() {
        assertThat(Crc64.checksum("123456789".getBytes(StandardCharsets.US_ASCII))).isEqualTo(0xB90956C775A41001L);
    }

    @Test
    void emptyInputIsZero() {
        assertThat(Crc64.checksum(new byte[0])).isZero();
    }

    @Test
    void incrementalUpdatesEqualOneShotAtEveryAlignment() {
        byte[] data = new byte[1000];
        new Random(7).nextBytes(data);
        long whole = Crc64.checksum(data);
        for (int split = 0; split <= data.length; split += 37) {
            long crc = Crc64.update(0, data, 0, split);
            assertThat(Crc64.update(crc, data, split, data.length - split)).isEqualTo(whole);
        }
    }

    @Test
    void slicingMatchesBitwiseReference() {
        Random random = new Random(1);
        // Short inputs are sliced; 4096 bytes and more also go through the interleaved lanes.
        for (int length : new int[] {257, 4095, 4096, 8192, 10247}) {
            byte[] data = new byte[length + 3];
            random.nextBytes(data);
            long c = ~0L;
            for (int i = 3; i < data.length; i++) {
                c ^= data[i] & 0xFF;
                for (int k = 0; k < 8; k++) {
                    c = (c & 1) != 0 ? (c >>> 1) ^ 0xD800000000000000L : c >>> 1;
                }
            }
            assertThat(Crc64.update(0, data, 3, length)).as("length %d", length).isEqualTo(~c);
        }
    }

    @Test
    void combineEqualsTheCrcOfTheConcatenation() {
        Random random = new Random(3);
        for (int lengthB : new int[] {0, 1, 7, 8, 100, 4096, 65536}) {
            byte[] data = new byte[lengthB + 50];
            random.nextBytes(data);
            long crcA = Crc64.update(0, data, 0, 50);
            long crcB = Crc64.update(0, data, 50, lengthB);
            assertThat(Crc64.combine(crcA, crcB, lengthB)).as("length %d", lengthB).isEqualTo(Crc64.checksum(data));
        }
    }

    @Test
    void updateIntHashesFourBigEndianBytes() {
        assertThat(Crc64.updateInt(0, 0x01020304)).isEqualTo(Crc64.checksum(new byte[] {1, 2, 3, 4}));
    }
}
