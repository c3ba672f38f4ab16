package dev.litecluster.ltx;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The 100-byte LTX header (format version 3, magic {@code LTX1}). Unsigned u32 fields (page size, commit)
 * are held in {@code int}; values above {@link Integer#MAX_VALUE} are rejected by {@link #validate()}.
 */
public record LtxHeader(int flags, int pageSize, int commit, long minTxid, long maxTxid, long timestamp,
                        long preApplyChecksum, long walOffset, long walSize, int walSalt1, int walSalt2, long nodeId) {

    public static final int SIZE = 100;
    /** Header flag: the file carries no database checksums (pre/post-apply are 0). Litestream always sets it. */
    public static final int FLAG_NO_CHECKSUM = 2;
    public static final int MIN_PAGE_SIZE = 512;
    public static final int MAX_PAGE_SIZE = 65536;
    private static final byte[] MAGIC = "LTX1".getBytes(StandardCharsets.US_ASCII);

    /** A header with database checksums on and no WAL fields, the usual shape for files Litecluster writes. */
    public static LtxHeader of(int pageSize, int commit, long minTxid, long maxTxid, long timestamp, long preApplyChecksum) {
        return new LtxHeader(0, pageSize, commit, minTxid, maxTxid, timestamp, preApplyChecksum, 0, 0, 0, 0, 0);
    }

    /** A file with minTXID 1 starts from an empty database, so it carries every page 1..commit. */
    public boolean isSnapshot() {
        return minTxid == 1;
    }

    public boolean noChecksum() {
        return (flags & FLAG_NO_CHECKSUM) != 0;
    }

    public int lockPage() {
        return Checksums.lockPage(pageSize);
    }

    /** Position of the database this file applies to. */
    public Position preApplyPosition() {
        return new Position(minTxid - 1, preApplyChecksum);
    }

    public LtxFileName fileName() {
        return new LtxFileName(minTxid, maxTxid);
    }

    public void validate() throws LtxException {
        if ((flags & ~FLAG_NO_CHECKSUM) != 0) {
            throw new LtxException("invalid header flags 0x%08x: only 0x2 (no checksums) is defined".formatted(flags));
        }
        if (pageSize < MIN_PAGE_SIZE || pageSize > MAX_PAGE_SIZE || Integer.bitCount(pageSize) != 1) {
            throw new LtxException("invalid page size " + Integer.toUnsignedString(pageSize)
                    + ": must be a power of two from 512 to 65536");
        }
        if (commit < 0) {
            throw new LtxException("unsupported commit " + Integer.toUnsignedString(commit) + ": above 2^31-1 pages");
        }
        if (minTxid == 0 || maxTxid == 0) {
            throw new LtxException("transaction ids required: min " + minTxid + ", max " + Long.toUnsignedString(maxTxid));
        }
        if (Long.compareUnsigned(minTxid, maxTxid) > 0) {
            throw new LtxException("transaction ids out of order: min " + Long.toUnsignedString(minTxid)
                    + " > max " + Long.toUnsignedString(maxTxid));
        }
        if (walOffset < 0 || walSize < 0) {
            throw new LtxException("negative WAL offset " + walOffset + " or size " + walSize);
        }
        if ((walSalt1 != 0 || walSalt2 != 0 || walSize != 0) && walOffset == 0) {
            throw new LtxException("WAL salt or size set without a WAL offset");
        }
        if (isSnapshot() || noChecksum()) {
            if (preApplyChecksum != 0) {
                throw new LtxException("pre-apply checksum must be 0 on a snapshot or with flag 0x2, found " + hex(preApplyChecksum));
            }
        } else if ((preApplyChecksum & Checksums.EMPTY) == 0) {
            throw new LtxException("invalid pre-apply checksum " + hex(preApplyChecksum) + ": non-snapshot needs one with bit 63 set");
        }
    }

    byte[] toBytes() {
        ByteBuffer b = ByteBuffer.allocate(SIZE);
        b.put(MAGIC).putInt(flags).putInt(pageSize).putInt(commit).putLong(minTxid).putLong(maxTxid)
                .putLong(timestamp).putLong(preApplyChecksum).putLong(walOffset).putLong(walSize)
                .putInt(walSalt1).putInt(walSalt2).putLong(nodeId);
        return b.array();
    }

    /** Parses the fixed layout; call {@link #validate()} for the semantic checks. */
    static LtxHeader parse(byte[] b) throws LtxException {
        if (!Arrays.equals(b, 0, 4, MAGIC, 0, 4)) {
            throw new LtxException("not an LTX file: magic is " + java.util.HexFormat.of().formatHex(b, 0, 4) + ", expected \"LTX1\"");
        }
        for (int i = 80; i < SIZE; i++) {
            if (b[i] != 0) {
                throw new LtxException("reserved header byte " + i + " is not zero");
            }
        }
        ByteBuffer h = ByteBuffer.wrap(b);
        return new LtxHeader(h.getInt(4), h.getInt(8), h.getInt(12), h.getLong(16), h.getLong(24), h.getLong(32),
                h.getLong(40), h.getLong(48), h.getLong(56), h.getInt(64), h.getInt(68), h.getLong(72));
    }

    static String hex(long v) {
        return "0x%016X".formatted(v);
    }
}
