package dev.litecluster.ltx;

/**
 * How page data is stored in a frame. Both produce a standard LZ4 block (page flag 0x1), so every LTX
 * reader, Litestream included, can read either: {@code NONE} is a literal-only block, costing a few bytes
 * per page and no CPU for compression.
 */
public enum PageCompression {
    LZ4,
    NONE
}
