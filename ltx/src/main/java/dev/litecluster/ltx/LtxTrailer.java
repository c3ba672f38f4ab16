package dev.litecluster.ltx;

import java.nio.ByteBuffer;

/** The last 16 bytes of an LTX file. */
public record LtxTrailer(long postApplyChecksum, long fileChecksum) {
    public static final int SIZE = 16;

    static LtxTrailer parse(byte[] b) {
        ByteBuffer buf = ByteBuffer.wrap(b);
        return new LtxTrailer(buf.getLong(0), buf.getLong(8));
    }

    /** The file checksum is checked separately (it needs the whole file); this checks the fields' form. */
    void validate(LtxHeader header) throws LtxException {
        if (header.noChecksum()) {
            if (postApplyChecksum != 0) {
                throw new LtxException("post-apply checksum must be 0 when header flag 0x2 (no checksums) is set, found "
                        + LtxHeader.hex(postApplyChecksum));
            }
        } else if ((postApplyChecksum & Checksums.EMPTY) == 0) {
            throw new LtxException("invalid post-apply checksum " + LtxHeader.hex(postApplyChecksum) + ": bit 63 not set");
        }
        if ((fileChecksum & Checksums.EMPTY) == 0) {
            throw new LtxException("invalid file checksum " + LtxHeader.hex(fileChecksum) + ": bit 63 not set");
        }
    }
}
