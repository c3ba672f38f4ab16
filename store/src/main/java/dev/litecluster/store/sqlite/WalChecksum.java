package dev.litecluster.store.sqlite;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * SQLite's WAL checksum: pairs of 32-bit words summed into (s0, s1), words in the WAL's chosen byte
 * order. Each pair (x, y) maps (s0, s1) to M·(s0, s1) + (x, x + y) with M = [[1, 1], [1, 2]] (mod
 * 2^32), so the checksum of data from any start is M^n·start plus the data's checksum from (0, 0):
 * see {@link #append}.
 */
public final class WalChecksum {
    private int s0;
    private int s1;

    public WalChecksum(int s0, int s1) {
        this.s0 = s0;
        this.s1 = s1;
    }

    /** Adds {@code length} bytes (a multiple of 8) read as words in {@code order}. */
    public WalChecksum update(byte[] data, int offset, int length, ByteOrder order) {
        ByteBuffer words = ByteBuffer.wrap(data, offset, length).order(order);
        int a = s0;
        int b = s1;
        for (int i = offset; i < offset + length; i += 8) {
            a += words.getInt(i) + b;
            b += words.getInt(i + 4) + a;
        }
        s0 = a;
        s1 = b;
        return this;
    }

    /** Two words read as one, the first in the high half. */
    private static final ValueLayout.OfLong PAIR = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    /**
     * {@link #update} over {@code length} bytes of {@code data} at {@code offset}. Reads through one
     * constant layout: with the layout passed in as an argument, C2 compiled the loop with a layout
     * check per read (30% of the capturing mount's CPU in a WAL write benchmark, in
     * AbstractMemorySegmentImpl.isAlignedForElement).
     */
    public WalChecksum update(MemorySegment data, long offset, int length, ByteOrder order) {
        boolean littleEndian = order == ByteOrder.LITTLE_ENDIAN;
        int a = s0;
        int b = s1;
        for (long i = offset; i < offset + length; i += 8) {
            long pair = data.get(PAIR, i);
            int x = (int) (pair >>> 32);
            int y = (int) pair;
            if (littleEndian) {
                x = Integer.reverseBytes(x);
                y = Integer.reverseBytes(y);
            }
            a += x + b;
            b += y + a;
        }
        s0 = a;
        s1 = b;
        return this;
    }

    /**
     * M^n: how the start of a checksum carries over n word pairs of data. Computed once per length
     * (a frame's page), then applied by {@link #append}.
     */
    public record Shift(int m00, int m01, int m10, int m11) {
        public static Shift over(int pairs) {
            Shift power = new Shift(1, 0, 0, 1);
            Shift square = new Shift(1, 1, 1, 2);
            for (int n = pairs; n > 0; n >>>= 1) {
                if ((n & 1) != 0) {
                    power = power.times(square);
                }
                square = square.times(square);
            }
            return power;
        }

        private Shift times(Shift y) {
            return new Shift(m00 * y.m00 + m01 * y.m10, m00 * y.m01 + m01 * y.m11,
                    m10 * y.m00 + m11 * y.m10, m10 * y.m01 + m11 * y.m11);
        }
    }

    /**
     * Continues this checksum over data whose checksum from (0, 0) is {@code tail}, without the data
     * itself; {@code shift} is {@link Shift#over} the data's word pairs.
     */
    public WalChecksum append(WalChecksum tail, Shift shift) {
        int a = shift.m00() * s0 + shift.m01() * s1 + tail.s0;
        int b = shift.m10() * s0 + shift.m11() * s1 + tail.s1;
        s0 = a;
        s1 = b;
        return this;
    }

    public int s0() {
        return s0;
    }

    public int s1() {
        return s1;
    }

    public boolean matches(int expected0, int expected1) {
        return s0 == expected0 && s1 == expected1;
    }
}
