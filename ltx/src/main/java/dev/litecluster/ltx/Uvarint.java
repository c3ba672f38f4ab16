package dev.litecluster.ltx;

/** Go's {@code encoding/binary} unsigned varints (7 bits per byte, least significant group first). */
final class Uvarint {
    static final int MAX_LENGTH = 10;

    private Uvarint() {}

    /** Writes {@code v} (as unsigned) at {@code dst[off..]} and returns the new offset. */
    static int write(long v, byte[] dst, int off) {
        while ((v & ~0x7FL) != 0) {
            dst[off++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        dst[off++] = (byte) v;
        return off;
    }
}
