package dev.litecluster.ltx;

import java.io.IOException;
import java.io.InputStream;

/**
 * Buffered reading of an LTX file that tracks the file offset and feeds everything read into the running
 * CRC-64 of the file checksum, except what is read with {@link #readUnhashed} (LZ4 blocks are hashed in their
 * decompressed form; the stored file checksum is not hashed at all). End of data is an {@link LtxException}
 * naming what was being read.
 */
final class LtxInput {
    private final InputStream in;
    private static final int MAX_BUFFER = 64 << 10;
    private static final int MIN_BUFFER = 1 << 10;
    private final byte[] buf;
    private int pos;
    private int limit;
    private int hashFrom;
    private boolean hashing = true;
    private long bufferStart;
    private long crc;

    /**
     * The buffer is sized to what {@code in} says it holds, when it says (a record in memory: a
     * replica decodes each one twice, and 64 KiB per decoder was three quarters of its garbage).
     */
    LtxInput(InputStream in) throws IOException {
        this.in = in;
        int available = in.available();
        this.buf = new byte[available > 0 ? Math.clamp(available, MIN_BUFFER, MAX_BUFFER) : MAX_BUFFER];
    }

    long offset() {
        return bufferStart + pos;
    }

    /** CRC-64 of everything hashed so far. */
    long crc() {
        flushHash();
        return crc;
    }

    void hash(byte[] b, int off, int len) {
        flushHash();
        crc = Crc64.update(crc, b, off, len);
    }

    void readFully(byte[] dst, int off, int len, String what) throws IOException {
        long start = offset();
        int done = 0;
        while (done < len) {
            if (pos == limit && !fill()) {
                throw new LtxException("truncated LTX file: " + what + " at offset " + start + " needs " + len
                        + " bytes, the file ends after " + done);
            }
            int n = Math.min(limit - pos, len - done);
            System.arraycopy(buf, pos, dst, off + done, n);
            pos += n;
            done += n;
        }
    }

    void readUnhashed(byte[] dst, int off, int len, String what) throws IOException {
        flushHash();
        hashing = false;
        try {
            readFully(dst, off, len, what);
        } finally {
            hashing = true;
            hashFrom = pos;
        }
    }

    /** Go {@code binary.Uvarint}: at most 10 bytes, no overflow past 64 bits. */
    long readUvarint(String what) throws IOException {
        long start = offset();
        long v = 0;
        for (int i = 0; i < Uvarint.MAX_LENGTH; i++) {
            if (pos == limit && !fill()) {
                throw new LtxException("truncated LTX file: " + what + " at offset " + start);
            }
            int b = buf[pos++] & 0xFF;
            if (i == Uvarint.MAX_LENGTH - 1 && b > 1) {
                break;
            }
            v |= (long) (b & 0x7F) << (7 * i);
            if (b < 0x80) {
                return v;
            }
        }
        throw new LtxException("invalid " + what + " at offset " + start + ": varint overflows 64 bits");
    }

    boolean atEnd() throws IOException {
        return pos == limit && !fill();
    }

    private boolean fill() throws IOException {
        flushHash();
        bufferStart += limit;
        pos = 0;
        limit = 0;
        hashFrom = 0;
        int n = in.readNBytes(buf, 0, buf.length);
        limit = n;
        return n > 0;
    }

    private void flushHash() {
        if (hashing && pos > hashFrom) {
            crc = Crc64.update(crc, buf, hashFrom, pos - hashFrom);
        }
        hashFrom = pos;
    }
}
