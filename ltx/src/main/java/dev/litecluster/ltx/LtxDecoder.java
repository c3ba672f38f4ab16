package dev.litecluster.ltx;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Streaming, strict reader of one LTX file. The constructor reads and validates the header; {@link #nextPage}
 * returns pages in file order and, at the end of the page block, reads the page index and trailer, checks that
 * the file ends there and verifies the file checksum. Any defect is an {@link LtxException}; nothing is
 * allocated or skipped according to an unchecked length field.
 *
 * <p>Pages returned before the end are not yet covered by the file checksum: callers that must not act on a
 * damaged file stage them until {@code nextPage} has returned 0 (see {@link LtxApplier}).
 */
public final class LtxDecoder {
    private final LtxInput in;
    private final LtxHeader header;
    private final byte[] frameHeader = new byte[LtxFormat.FRAME_HEADER_SIZE];
    private final byte[] block;
    private final PageIndex frames = new PageIndex();
    private final PageSequence pages;
    private LtxTrailer trailer;

    public LtxDecoder(InputStream in) throws IOException {
        this.in = new LtxInput(in);
        byte[] h = new byte[LtxHeader.SIZE];
        this.in.readFully(h, 0, h.length, "header");
        this.header = LtxHeader.parse(h);
        header.validate();
        this.block = new byte[PageCodec.maxBlockSize(header.pageSize())];
        this.pages = new PageSequence(header);
    }

    public LtxHeader header() {
        return header;
    }

    /**
     * Decodes the next page into {@code dst[0..pageSize)} and returns its page number, or returns 0 once the
     * page block has ended and the rest of the file has been verified.
     */
    public int nextPage(byte[] dst) throws IOException {
        if (trailer != null) {
            return 0;
        }
        int pageSize = header.pageSize();
        if (dst.length < pageSize) {
            throw new IllegalArgumentException("page buffer of " + dst.length + " bytes, page size is " + pageSize);
        }
        long frameOffset = in.offset();
        in.readFully(frameHeader, 0, LtxFormat.PAGE_HEADER_SIZE, "page header");
        ByteBuffer fh = ByteBuffer.wrap(frameHeader);
        int pgno = fh.getInt(0);
        short flags = fh.getShort(4);
        if (pgno == 0 && flags == 0) {
            finish();
            return 0;
        }
        pages.accept(pgno, " (frame at offset " + frameOffset + ")");
        if (flags != LtxFormat.PAGE_FLAG_SIZE) {
            throw new LtxException("page %d (frame at offset %d) has unsupported flags 0x%04x, expected 0x0001 (LZ4 block)"
                    .formatted(pgno, frameOffset, flags));
        }
        in.readFully(frameHeader, LtxFormat.PAGE_HEADER_SIZE, 4, "page " + pgno + " size field");
        int size = fh.getInt(LtxFormat.PAGE_HEADER_SIZE);
        if (size <= 0 || size > block.length) {
            throw new LtxException("page %d (frame at offset %d) declares an LZ4 block of %s bytes; a %d-byte page needs 1..%d"
                    .formatted(pgno, frameOffset, Integer.toUnsignedString(size), pageSize, block.length));
        }
        in.readUnhashed(block, 0, size, "LZ4 block of page " + pgno + " (frame at offset " + frameOffset + ")");
        int n = PageCodec.decode(block, 0, size, dst, pageSize);
        if (n != pageSize) {
            throw new LtxException("LZ4 block of page %d (frame at offset %d) %s, expected exactly %d bytes"
                    .formatted(pgno, frameOffset, n < 0 ? "is corrupt or decompresses to too many bytes" : "decompresses to " + n, pageSize));
        }
        in.hash(dst, 0, pageSize);
        frames.add(pgno, frameOffset, LtxFormat.FRAME_HEADER_SIZE + size);
        return pgno;
    }

    /** Reads to the end, discarding pages, and returns the verified trailer. */
    public LtxTrailer verify() throws IOException {
        byte[] page = new byte[header.pageSize()];
        while (nextPage(page) != 0) {
            // pages are checked as they are read
        }
        return trailer;
    }

    /** The trailer, once {@link #nextPage} has returned 0. */
    public LtxTrailer trailer() {
        if (trailer == null) {
            throw new IllegalStateException("trailer is read after the last page");
        }
        return trailer;
    }

    /** Frames read so far, in file order (all of them, equal to the page index, once the file is verified). */
    public List<PageFrame> frames() {
        return frames.asList();
    }

    /** Bytes consumed so far. */
    public long offset() {
        return in.offset();
    }

    private void finish() throws IOException {
        pages.checkComplete();
        readPageIndex();
        byte[] t = new byte[LtxTrailer.SIZE];
        in.readFully(t, 0, 8, "post-apply checksum");
        in.readUnhashed(t, 8, 8, "file checksum");
        LtxTrailer read = LtxTrailer.parse(t);
        long computed = Checksums.EMPTY | in.crc();
        if (!in.atEnd()) {
            throw new LtxException("unexpected data after the trailer at offset " + in.offset());
        }
        if (read.fileChecksum() != computed) {
            throw new LtxException("file checksum mismatch: stored " + LtxHeader.hex(read.fileChecksum())
                    + ", computed " + LtxHeader.hex(computed));
        }
        read.validate(header);
        trailer = read;
    }

    /** The index must list exactly the frames read, in order; its length field must match its size. */
    private void readPageIndex() throws IOException {
        long start = in.offset();
        for (int i = 0; i < frames.count(); i++) {
            PageFrame f = frames.get(i);
            long pgno = in.readUvarint("page index entry " + i);
            long offset = in.readUvarint("page index entry " + i);
            long size = in.readUvarint("page index entry " + i);
            if (pgno != f.pgno() || offset != f.offset() || size != f.size()) {
                throw new LtxException("page index entry %d (%s, %s, %s) does not match frame %d (page %d at offset %d, %d bytes)"
                        .formatted(i, Long.toUnsignedString(pgno), Long.toUnsignedString(offset), Long.toUnsignedString(size),
                                i, f.pgno(), f.offset(), f.size()));
            }
        }
        if (in.readUvarint("page index terminator") != 0) {
            throw new LtxException("page index lists more pages than the " + frames.count() + " page frames");
        }
        long actual = in.offset() - start;
        byte[] len = new byte[LtxFormat.INDEX_LENGTH_SIZE];
        in.readFully(len, 0, len.length, "page index length");
        long declared = ByteBuffer.wrap(len).getLong();
        if (declared != actual) {
            throw new LtxException("invalid page index length " + Long.toUnsignedString(declared)
                    + ": the page index occupies " + actual + " bytes");
        }
    }
}
