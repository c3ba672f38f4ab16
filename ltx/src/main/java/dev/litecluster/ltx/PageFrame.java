package dev.litecluster.ltx;

/** Where one page's frame sits in an LTX file: a page index entry. {@code size} includes the 10-byte frame header. */
public record PageFrame(int pgno, long offset, int size) {}
