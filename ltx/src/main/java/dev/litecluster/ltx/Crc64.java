package dev.litecluster.ltx;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * CRC-64/ISO exactly as Go's {@code hash/crc64} with the {@code crc64.ISO} table: reflected polynomial
 * {@code 0xD800000000000000}, init and final XOR all ones. {@link #update} has {@code crc64.Update}
 * semantics (pass 0 to start, feed the result back in to continue). Slicing-by-8, in four
 * interleaved lanes over long inputs.
 */
public final class Crc64 {
    private static final long POLY = 0xD800000000000000L;
    /** Eight 256-entry tables back to back; one static final array lets the JIT drop the bounds checks. */
    private static final long[] T = tables();
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    /** Per length n, the linear map "run the CRC register over n zero bytes", as eight byte tables. */
    private static final Map<Integer, long[]> ZERO_SHIFTS = new ConcurrentHashMap<>();
    /** Bytes per lane of {@link #block}: a page of 4 KiB is one block. */
    private static final int LANE = 1024;
    private static final int BLOCK = 4 * LANE;
    private static final long[] LANE_SHIFT = zeroShift(LANE);

    private Crc64() {}

    public static long checksum(byte[] b) {
        return update(0, b, 0, b.length);
    }

    public static long update(long crc, byte[] b, int off, int len) {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        long c = ~crc;
        int end = off + len;
        for (; off + BLOCK <= end; off += BLOCK) {
            c = ~block(~c, b, off);
        }
        return ~slice(c, b, off, end);
    }

    /**
     * The CRC after {@code b[off..off+BLOCK)}, hashed as four lanes side by side and joined as
     * {@link #combine} does: each slicing step waits on the previous one's table loads, and
     * independent lanes let the CPU overlap them (a page hashes about twice as fast).
     */
    private static long block(long crc, byte[] b, int off) {
        long c0 = ~crc;
        long c1 = ~0L;
        long c2 = ~0L;
        long c3 = ~0L;
        for (int i = off; i < off + LANE; i += 8) {
            c0 = step(c0 ^ (long) LONG_LE.get(b, i));
            c1 = step(c1 ^ (long) LONG_LE.get(b, i + LANE));
            c2 = step(c2 ^ (long) LONG_LE.get(b, i + 2 * LANE));
            c3 = step(c3 ^ (long) LONG_LE.get(b, i + 3 * LANE));
        }
        return joinLane(joinLane(joinLane(~c0, ~c1), ~c2), ~c3);
    }

    /** {@link #combine} for a second part of {@link #LANE} bytes. */
    private static long joinLane(long crcA, long crcB) {
        return shift(LANE_SHIFT, crcA) ^ crcB;
    }

    /** Slicing-by-8 over {@code b[off..end)} on the raw (inverted) register {@code c}. */
    private static long slice(long c, byte[] b, int off, int end) {
        for (; off + 8 <= end; off += 8) {
            c = step(c ^ (long) LONG_LE.get(b, off));
        }
        for (; off < end; off++) {
            c = T[(int) ((c ^ b[off]) & 0xff)] ^ (c >>> 8);
        }
        return c;
    }

    /** Advances the register over the eight bytes already XORed into {@code c}. */
    private static long step(long c) {
        return T[7 * 256 + (int) (c & 0xff)] ^ T[6 * 256 + (int) ((c >>> 8) & 0xff)]
                ^ T[5 * 256 + (int) ((c >>> 16) & 0xff)] ^ T[4 * 256 + (int) ((c >>> 24) & 0xff)]
                ^ T[3 * 256 + (int) ((c >>> 32) & 0xff)] ^ T[2 * 256 + (int) ((c >>> 40) & 0xff)]
                ^ T[256 + (int) ((c >>> 48) & 0xff)] ^ T[(int) (c >>> 56)];
    }

    /** Continues {@code crc} over the 4 big-endian bytes of {@code value} (the pgno prefix of a page checksum). */
    public static long updateInt(long crc, int value) {
        long c = ~crc;
        for (int shift = 24; shift >= 0; shift -= 8) {
            c = T[(int) ((c ^ (value >>> shift)) & 0xff)] ^ (c >>> 8);
        }
        return ~c;
    }

    /**
     * The CRC of {@code A ‖ B} from {@code crcA} (of A, or of anything A continues) and {@code crcB}
     * (of B alone, {@code lengthB} bytes): zlib's {@code crc32_combine} for this polynomial. Lets one
     * pass over a page serve several checksums that hash it after different prefixes.
     */
    public static long combine(long crcA, long crcB, int lengthB) {
        return shift(ZERO_SHIFTS.computeIfAbsent(lengthB, Crc64::zeroShift), crcA) ^ crcB;
    }

    /** Applies a {@link #zeroShift} map to {@code crc}. */
    private static long shift(long[] map, long crc) {
        long c = 0;
        for (int k = 0; k < 8; k++) {
            c ^= map[k * 256 + (int) ((crc >>> (8 * k)) & 0xff)];
        }
        return c;
    }

    private static long[] zeroShift(int length) {
        long[] basis = new long[64];
        for (int bit = 0; bit < 64; bit++) {
            long c = 1L << bit;
            for (int i = 0; i < length; i++) {
                c = T[(int) (c & 0xff)] ^ (c >>> 8);
            }
            basis[bit] = c;
        }
        long[] shift = new long[8 * 256];
        for (int k = 0; k < 8; k++) {
            for (int b = 1; b < 256; b++) {
                int low = Integer.numberOfTrailingZeros(b);
                shift[k * 256 + b] = shift[k * 256 + (b & (b - 1))] ^ basis[8 * k + low];
            }
        }
        return shift;
    }

    /** Table k maps a byte to its CRC contribution k bytes further back in the 8-byte word. */
    private static long[] tables() {
        long[] t = new long[8 * 256];
        for (int i = 0; i < 256; i++) {
            long c = i;
            for (int k = 0; k < 8; k++) {
                c = (c & 1) != 0 ? (c >>> 1) ^ POLY : c >>> 1;
            }
            t[i] = c;
        }
        for (int i = 256; i < t.length; i++) {
            long prev = t[i - 256];
            t[i] = (prev >>> 8) ^ t[(int) (prev & 0xff)];
        }
        return t;
    }
}
