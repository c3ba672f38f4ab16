package dev.litecluster.ltx;

/** Sizes and flags of the LTX v3 body (between header and trailer). */
final class LtxFormat {
    /** pgno u32 + flags u16. Six zero bytes of it end the page block. */
    static final int PAGE_HEADER_SIZE = 6;
    /** Page header plus the u32 LZ4 block size. */
    static final int FRAME_HEADER_SIZE = PAGE_HEADER_SIZE + 4;
    /** Page flag: a u32 size follows and the data is an LZ4 block (the only frame kind in ltx v0.5.x files). */
    static final short PAGE_FLAG_SIZE = 1;
    /** The u64 page-index length field. */
    static final int INDEX_LENGTH_SIZE = 8;

    private LtxFormat() {}
}
