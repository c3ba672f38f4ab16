package dev.litecluster.ltx;

import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

/** Page data as LZ4 blocks. Stateless and thread-safe; callers own every buffer. */
final class PageCodec {
    /**
     * Compression only ever sees our own pages, so the native compressor (no per-call heap allocation)
     * is fine when it loads. Decompression sees untrusted bytes: always the pure-Java bounds-checked one.
     */
    private static final LZ4Compressor COMPRESSOR = compressor();
    private static final LZ4SafeDecompressor DECOMPRESSOR = LZ4Factory.safeInstance().safeDecompressor();

    private PageCodec() {}

    /** LZ4's worst case for one page, which also bounds the size field a decoder accepts. */
    static int maxBlockSize(int pageSize) {
        return pageSize + pageSize / 255 + 16;
    }

    /** Encodes one page at {@code dst[dstOff..]} (room for {@link #maxBlockSize}) and returns the block length. */
    static int encode(PageCompression compression, byte[] page, int off, int pageSize, byte[] dst, int dstOff) {
        return switch (compression) {
            case LZ4 -> COMPRESSOR.compress(page, off, pageSize, dst, dstOff, maxBlockSize(pageSize));
            case NONE -> literalBlock(page, off, pageSize, dst, dstOff);
        };
    }

    /**
     * Decodes an LZ4 block into {@code dst[0..pageSize)}; returns the decompressed length, or -1 if the block is
     * malformed or would produce more than {@code pageSize} bytes.
     */
    static int decode(byte[] src, int off, int len, byte[] dst, int pageSize) {
        try {
            return DECOMPRESSOR.decompress(src, off, len, dst, 0, pageSize);
        } catch (LZ4Exception | ArrayIndexOutOfBoundsException e) {
            return -1;
        }
    }

    /** A single LZ4 sequence holding every byte as a literal: a valid block that needs no match search. */
    private static int literalBlock(byte[] page, int off, int len, byte[] dst, int dstOff) {
        int p = dstOff;
        if (len < 15) {
            dst[p++] = (byte) (len << 4);
        } else {
            dst[p++] = (byte) 0xF0;
            int rest = len - 15;
            for (; rest >= 255; rest -= 255) {
                dst[p++] = (byte) 255;
            }
            dst[p++] = (byte) rest;
        }
        System.arraycopy(page, off, dst, p, len);
        return p + len - dstOff;
    }

    private static LZ4Compressor compressor() {
        try {
            return LZ4Factory.nativeInstance().fastCompressor();
        } catch (Throwable nativeUnavailable) {
            return LZ4Factory.safeInstance().fastCompressor();
        }
    }
}
