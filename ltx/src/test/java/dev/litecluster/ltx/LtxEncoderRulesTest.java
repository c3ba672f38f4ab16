package dev.litecluster.ltx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class LtxEncoderRulesTest {
    private final byte[] page = new byte[4096];

    private LtxEncoder encoder(LtxHeader h) throws IOException {
        return new LtxEncoder(new ByteArrayOutputStream(), h, PageCompression.LZ4);
    }

    @Test
    void pagesMustAscend() throws IOException {
        LtxEncoder enc = encoder(LtxHeader.of(4096, 5, 2, 2, 0, Checksums.EMPTY));
        enc.writePage(3, page, 0);
        assertThatThrownBy(() -> enc.writePage(3, page, 0)).isInstanceOf(LtxException.class).hasMessageContaining("strictly ascending");
    }

    @Test
    void pagesMustNotExceedCommit() throws IOException {
        LtxEncoder enc = encoder(LtxHeader.of(4096, 5, 2, 2, 0, Checksums.EMPTY));
        assertThatThrownBy(() -> enc.writePage(6, page, 0)).isInstanceOf(LtxException.class).hasMessageContaining("outside 1..commit 5");
    }

    @Test
    void snapshotsMustHoldEveryPage() throws IOException {
        LtxEncoder gap = encoder(LtxHeader.of(4096, 3, 1, 1, 0, 0));
        assertThatThrownBy(() -> gap.writePage(2, page, 0)).isInstanceOf(LtxException.class).hasMessageContaining("missing page 1");
        LtxEncoder shortSnapshot = encoder(LtxHeader.of(4096, 3, 1, 1, 0, 0));
        shortSnapshot.writePage(1, page, 0);
        assertThatThrownBy(() -> shortSnapshot.finish(Checksums.EMPTY)).isInstanceOf(LtxException.class)
                .hasMessageContaining("missing pages 2..3");
    }

    @Test
    void lockPageIsNeverWritten() throws IOException {
        int lock = Checksums.lockPage(65536);
        LtxEncoder enc = encoder(LtxHeader.of(65536, lock + 1, 2, 2, 0, Checksums.EMPTY));
        assertThatThrownBy(() -> enc.writePage(lock, new byte[65536], 0)).isInstanceOf(LtxException.class).hasMessageContaining("lock page");
    }

    @Test
    void headerValidationNamesTheProblem() {
        assertThatThrownBy(() -> encoder(LtxHeader.of(1000, 1, 1, 1, 0, 0))).hasMessageContaining("invalid page size 1000");
        assertThatThrownBy(() -> encoder(LtxHeader.of(4096, 1, 3, 2, 0, Checksums.EMPTY))).hasMessageContaining("out of order");
        assertThatThrownBy(() -> encoder(LtxHeader.of(4096, 1, 2, 2, 0, 0))).hasMessageContaining("pre-apply checksum");
        assertThatThrownBy(() -> encoder(new LtxHeader(4, 4096, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0))).hasMessageContaining("invalid header flags");
    }

    @Test
    void postApplyChecksumMustMatchTheChecksumMode() throws IOException {
        LtxEncoder enc = encoder(new LtxHeader(LtxHeader.FLAG_NO_CHECKSUM, 4096, 0, 2, 2, 0, 0, 0, 0, 0, 0, 0));
        assertThatThrownBy(() -> enc.finish(Checksums.EMPTY)).hasMessageContaining("post-apply checksum must be 0");
        LtxEncoder withChecksums = encoder(LtxHeader.of(4096, 0, 2, 2, 0, Checksums.EMPTY));
        assertThat(withChecksums.finish(Checksums.EMPTY).fileChecksum()).isNegative();
    }
}
