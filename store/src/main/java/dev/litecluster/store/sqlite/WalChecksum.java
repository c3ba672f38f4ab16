package dev.litecluster.store.sqlite;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** SQLite's WAL checksum: pairs of 32-bit words summed into (s0, s1), words in the WAL's chosen byte order. */
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
