package dev.litecluster.ltx;

import java.util.HexFormat;

/** The TXID range an LTX file covers, and its file name {@code %016x-%016x.ltx}. */
public record LtxFileName(long minTxid, long maxTxid) {

    public static String format(long minTxid, long maxTxid) {
        return new LtxFileName(minTxid, maxTxid).toString();
    }

    /** Parses a bare file name (no directory), lower-case hex only, as Litestream writes it. */
    public static LtxFileName parse(String name) {
        if (name.length() != 37 || name.charAt(16) != '-' || !name.endsWith(".ltx")) {
            throw new IllegalArgumentException("invalid LTX file name, expected <min 16 hex>-<max 16 hex>.ltx: " + name);
        }
        return new LtxFileName(parseHex16(name.substring(0, 16)), parseHex16(name.substring(17, 33)));
    }

    static long parseHex16(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                throw new IllegalArgumentException("invalid hex digit '" + c + "' in " + s);
            }
        }
        return HexFormat.fromHexDigitsToLong(s);
    }

    @Override
    public String toString() {
        HexFormat hex = HexFormat.of();
        return hex.toHexDigits(minTxid) + "-" + hex.toHexDigits(maxTxid) + ".ltx";
    }
}
