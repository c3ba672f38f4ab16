package dev.litecluster.ltx;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;

/**
 * Streams one LTX file to an {@link OutputStream}: header at construction, one frame per {@link #writePage},
 * end marker, page index and trailer at {@link #finish}. Enforces the page rules a decoder checks (ascending,
 * within commit, never the lock page, snapshots complete). One reusable frame buffer: no per-page allocation.
 * The stream is flushed by {@code finish} but not closed.
 */
public final class LtxEncoder {
    private final OutputStream out;
    private final LtxHeader header;
    private final PageCompression compression;
    private final byte[] frame;
    private final ByteBuffer frameView;
    private final PageIndex index = new PageIndex();
    private long offset;
    private long crc;
    private final PageSequence pages;
    private LtxTrailer trailer;

    public LtxEncoder(OutputStream out, LtxHeader header, PageCompression compression) throws IOException {
        this(out, header, compression, new byte[frameBufferSize(header.pageSize())]);
    }

    /**
     * An encoder that builds each page frame in {@code frameBuffer}, of at least {@link #frameBufferSize}
     * bytes: a caller writing many small files reuses one (a fresh 4 KiB buffer per file is memory the
     * CPU cache has never seen).
     */
    public LtxEncoder(OutputStream out, LtxHeader header, PageCompression compression, byte[] frameBuffer) throws IOException {
        header.validate();
        if (frameBuffer.length < frameBufferSize(header.pageSize())) {
            throw new IllegalArgumentException("frame buffer of " + frameBuffer.length + " bytes for pages of " + header.pageSize());
        }
        this.out = out;
        this.header = header;
        this.compression = compression;
        this.frame = frameBuffer;
        this.frameView = ByteBuffer.wrap(frame);
        this.pages = new PageSequence(header);
        write(header.toBytes(), 0, LtxHeader.SIZE, true);
    }

    /** The frame buffer size pages of {@code pageSize} bytes need. */
    public static int frameBufferSize(int pageSize) {
        return LtxFormat.FRAME_HEADER_SIZE + PageCodec.maxBlockSize(pageSize);
    }

    public LtxHeader header() {
        return header;
    }

    /** Writes page {@code pgno} from {@code buf[off..off+pageSize)}. */
    public void writePage(int pgno, byte[] buf, int off) throws IOException {
        writePage(pgno, buf, off, Crc64.update(0, buf, off, header.pageSize()));
    }

    /** {@link #writePage(int, byte[], int)} for a caller that has hashed the page already: {@code pageCrc = Crc64.update(0, page)}. */
    public void writePage(int pgno, byte[] buf, int off, long pageCrc) throws IOException {
        requireOpen();
        pages.accept(pgno, "");
        int pageSize = header.pageSize();
        int size = PageCodec.encode(compression, buf, off, pageSize, frame, LtxFormat.FRAME_HEADER_SIZE);
        frameView.putInt(0, pgno).putShort(4, LtxFormat.PAGE_FLAG_SIZE).putInt(LtxFormat.PAGE_HEADER_SIZE, size);
        // The file checksum covers the frame header and the page as stored uncompressed.
        crc = Crc64.combine(Crc64.update(crc, frame, 0, LtxFormat.FRAME_HEADER_SIZE), pageCrc, pageSize);
        index.add(pgno, offset, LtxFormat.FRAME_HEADER_SIZE + size);
        write(frame, 0, LtxFormat.FRAME_HEADER_SIZE + size, false);
    }

    /**
     * Ends the file. {@code postApplyChecksum} is the database checksum after applying it, or 0 when the header
     * has flag {@link LtxHeader#FLAG_NO_CHECKSUM}.
     */
    public LtxTrailer finish(long postApplyChecksum) throws IOException {
        requireOpen();
        pages.checkComplete();
        byte[] tail = new byte[LtxFormat.PAGE_HEADER_SIZE];
        write(tail, 0, tail.length, true);
        byte[] idx = index.encode();
        write(idx, 0, idx.length, true);
        byte[] post = ByteBuffer.allocate(8).putLong(postApplyChecksum).array();
        crc = Crc64.update(crc, post, 0, 8);
        LtxTrailer t = new LtxTrailer(postApplyChecksum, Checksums.EMPTY | crc);
        t.validate(header);
        out.write(post);
        out.write(ByteBuffer.allocate(8).putLong(t.fileChecksum()).array());
        out.flush();
        offset += LtxTrailer.SIZE;
        trailer = t;
        return t;
    }

    /** Bytes written so far. */
    public long size() {
        return offset;
    }

    private void requireOpen() {
        if (trailer != null) {
            throw new IllegalStateException("LTX encoder already finished");
        }
    }

    private void write(byte[] b, int off, int len, boolean hashed) throws IOException {
        if (hashed) {
            crc = Crc64.update(crc, b, off, len);
        }
        out.write(b, off, len);
        offset += len;
    }
}
