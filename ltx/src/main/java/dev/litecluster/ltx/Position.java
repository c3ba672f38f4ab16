package dev.litecluster.ltx;

import java.util.HexFormat;

/** A replication position: the last applied TXID and the database checksum after it. */
public record Position(long txid, long checksum) {
    public static final Position ZERO = new Position(0, 0);

    /** Parses {@code %016x/%016x}, the {@link #toString()} form. */
    public static Position parse(String s) {
        if (s.length() != 33 || s.charAt(16) != '/') {
            throw new IllegalArgumentException("invalid position, expected <txid 16 hex>/<checksum 16 hex>: " + s);
        }
        return new Position(LtxFileName.parseHex16(s.substring(0, 16)), LtxFileName.parseHex16(s.substring(17)));
    }

    @Override
    public String toString() {
        HexFormat hex = HexFormat.of();
        return hex.toHexDigits(txid) + "/" + hex.toHexDigits(checksum);
    }
}
