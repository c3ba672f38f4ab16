package dev.litecluster.ltx;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * CRC-64/ISO exactly as Go's {@code hash/crc64} with the {@code crc64.ISO} table: reflected polynomial
 * {@code 0xD800000000000000}, init and final XOR all ones. {@link #update} has {@code crc64.Update}
 * semantics (pass 0 to start, feed the result back in to continue). Slicing-by-8.
 */
public final class Crc64 {
    private static final long POLY = 0xD800000000000000L;
    private static final long[][] TABLES = tables();
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private Crc64() {}

    public static long checksum(byte[] b) {
        return update(0, b, 0, b.length);
    }

    public static long update(long crc, byte[] b, int off, int len) {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        long[] t0 = TABLES[0], t1 = TABLES[1], t2 = TABLES[2], t3 = TABLES[3];
        long[] t4 = TABLES[4], t5 = TABLES[5], t6 = TABLES[6], t7 = TABLES[7];
        long c = ~crc;
        int end = off + len;
        for (; off + 8 <= end; off += 8) {
            c ^= (long) LONG_LE.get(b, off);
            c = t7[(int) (c & 0xff)] ^ t6[(int) ((c >>> 8) & 0xff)] ^ t5[(int) ((c >>> 16) & 0xff)]
                    ^ t4[(int) ((c >>> 24) & 0xff)] ^ t3[(int) ((c >>> 32) & 0xff)] ^ t2[(int) ((c >>> 40) & 0xff)]
                    ^ t1[(int) ((c >>> 48) & 0xff)] ^ t0[(int) (c >>> 56)];
        }
        for (; off < end; off++) {
            c = t0[(int) ((c ^ b[off]) & 0xff)] ^ (c >>> 8);
        }
        return ~c;
    }

    /** Continues {@code crc} over the 4 big-endian bytes of {@code value} (the pgno prefix of a page checksum). */
    public static long updateInt(long crc, int value) {
        long[] t0 = TABLES[0];
        long c = ~crc;
        for (int shift = 24; shift >= 0; shift -= 8) {
            c = t0[(int) ((c ^ (value >>> shift)) & 0xff)] ^ (c >>> 8);
        }
        return ~c;
    }

    private static long[][] tables() {
        long[][] t = new long[8][256];
        for (int i = 0; i < 256; i++) {
            long c = i;
            for (int k = 0; k < 8; k++) {
                c = (c & 1) != 0 ? (c >>> 1) ^ POLY : c >>> 1;
            }
            t[0][i] = c;
        }
        for (int k = 1; k < 8; k++) {
            for (int i = 0; i < 256; i++) {
                long prev = t[k - 1][i];
                t[k][i] = (prev >>> 8) ^ t[0][(int) (prev & 0xff)];
            }
        }
        return t;
    }
}
