package dev.litecluster.ltx;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Decodes a whole LTX file into an {@link LtxSummary}, turning format defects into a verdict instead of an exception. */
public final class LtxInspector {

    private LtxInspector() {}

    /** Throws only when the file cannot be read at all (missing, unreadable); damage goes into the summary. */
    public static LtxSummary inspect(Path file) throws IOException {
        long size = Files.size(file);
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            return inspect(in, size);
        }
    }

    public static LtxSummary inspect(InputStream in, long fileSize) throws IOException {
        LtxHeader header = null;
        List<LtxSummary.Page> pages = new ArrayList<>();
        try {
            LtxDecoder decoder = new LtxDecoder(in);
            header = decoder.header();
            byte[] page = new byte[header.pageSize()];
            for (int pgno; (pgno = decoder.nextPage(page)) != 0; ) {
                PageFrame f = decoder.frames().getLast();
                pages.add(new LtxSummary.Page(pgno, f.offset(), f.size(), Checksums.page(pgno, page)));
            }
            return new LtxSummary(fileSize, header, pages, decoder.trailer(), null);
        } catch (LtxException e) {
            return new LtxSummary(fileSize, header, pages, null, e.getMessage());
        }
    }
}
