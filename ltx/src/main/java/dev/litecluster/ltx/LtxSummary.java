package dev.litecluster.ltx;

import java.util.List;

/**
 * What {@link LtxInspector} found in one LTX file: as much as could be read before the first defect.
 * {@code header} and {@code trailer} are null when not reached; {@code error} is null for a valid file.
 */
public record LtxSummary(long fileSize, LtxHeader header, List<Page> pages, LtxTrailer trailer, String error) {

    /** One page frame and the page checksum of its decompressed contents. */
    public record Page(int pgno, long offset, int size, long checksum) {}

    public LtxSummary {
        pages = List.copyOf(pages);
    }

    public boolean ok() {
        return error == null;
    }

    /** {@code ok} or {@code CORRUPT: <reason>}. */
    public String verdict() {
        return ok() ? "ok" : "CORRUPT: " + error;
    }
}
