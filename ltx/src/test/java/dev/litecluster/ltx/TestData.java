package dev.litecluster.ltx;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/** Locates shared/testdata/ltx (beside or above the checkout) and builds LTX files for tests. */
final class TestData {
    private TestData() {}

    static Path ltxDir() {
        String start = System.getProperty("litecluster.repo", System.getProperty("user.dir"));
        for (Path d = Path.of(start).toAbsolutePath(); d != null; d = d.getParent()) {
            Path candidate = d.resolve("shared/testdata/ltx");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("shared/testdata/ltx not found above " + start);
    }

    static Path golden(int txid) {
        return ltxDir().resolve("litestream-0.5.17/L0").resolve(LtxFileName.format(txid, txid));
    }

    static Path goldenDb(int txid) {
        return ltxDir().resolve("litestream-0.5.17/db/after-%016x.db".formatted(txid));
    }

    static Path corrupt(String kind) {
        return ltxDir().resolve("corrupt").resolve(kind).resolve(LtxFileName.format(2, 2));
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    static byte[] read(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Encodes {@code pages} (ascending by key) into an LTX file. */
    static byte[] encode(LtxHeader header, Map<Integer, byte[]> pages, PageCompression compression, long postApply) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LtxEncoder enc = new LtxEncoder(out, header, compression);
        for (var e : pages.entrySet()) {
            enc.writePage(e.getKey(), e.getValue(), 0);
        }
        enc.finish(postApply);
        return out.toByteArray();
    }
}
