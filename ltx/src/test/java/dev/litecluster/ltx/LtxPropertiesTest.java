package dev.litecluster.ltx;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Assertions;

class LtxPropertiesTest {

    @Property(tries = 60)
    void encodeDecodeRoundTrip(@ForAll @IntRange(min = 9, max = 16) int log2PageSize, @ForAll @IntRange(min = 0, max = 12) int commit,
                               @ForAll @DoubleRange(min = 0, max = 1) double writeFraction, @ForAll PageCompression compression,
                               @ForAll boolean snapshot, @ForAll long seed) throws IOException {
        RandomDb db = new RandomDb(1 << log2PageSize, seed);
        if (!snapshot) {
            db.commit(commit, 1, compression);
        }
        byte[] file = db.commit(commit, writeFraction, compression);

        LtxDecoder dec = new LtxDecoder(new ByteArrayInputStream(file));
        Map<Integer, byte[]> decoded = new TreeMap<>();
        byte[] page = new byte[db.pageSize];
        for (int pgno; (pgno = dec.nextPage(page)) != 0; ) {
            decoded.put(pgno, page.clone());
        }
        assertThat(dec.header().commit()).isEqualTo(commit);
        assertThat(dec.header().isSnapshot()).isEqualTo(snapshot);
        byte[] image = new byte[commit * db.pageSize];
        byte[] applied = RandomDb.apply(image, decoded, commit, db.pageSize);
        for (int pgno : decoded.keySet()) {
            int off = (pgno - 1) * db.pageSize;
            assertThat(ByteBuffer.wrap(applied, off, db.pageSize)).isEqualTo(ByteBuffer.wrap(db.image, off, db.pageSize));
        }
        assertThat(dec.frames()).hasSize(decoded.size());
        assertThat(dec.offset()).isEqualTo(file.length);
    }

    /** Applying a chain reproduces the model, and the applier's checksum equals the post-apply checksum. */
    @Property(tries = 40)
    void appliedChecksumEqualsPostApplyChecksum(@ForAll @IntRange(min = 1, max = 6) int transactions, @ForAll long seed) throws IOException {
        RandomDb model = new RandomDb(512, seed);
        Random random = new Random(seed);
        Path file = Files.createTempFile("ltx-prop", ".db");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long checksum = Checksums.EMPTY;
            for (int i = 0; i < transactions; i++) {
                byte[] ltx = model.commit(random.nextInt(10), 0.3, PageCompression.LZ4);
                LtxApplier.Result r = LtxApplier.apply(new ByteArrayInputStream(ltx), ch, checksum);
                checksum = r.checksum();
                assertThat(checksum).isEqualTo(r.trailer().postApplyChecksum()).isEqualTo(Checksums.database(ch, 512));
                assertThat(Files.readAllBytes(file)).isEqualTo(model.image);
            }
        } finally {
            Files.delete(file);
        }
    }

    @Property(tries = 60)
    void mergeThenApplyEqualsApplyingInOrder(@ForAll @IntRange(min = 0, max = 8) int c1, @ForAll @IntRange(min = 0, max = 8) int c2,
                                            @ForAll @IntRange(min = 0, max = 8) int c3, @ForAll boolean includeSnapshot,
                                            @ForAll long seed) throws IOException {
        RandomDb model = new RandomDb(512, seed);
        byte[] a = model.commit(c1, 1, PageCompression.LZ4);
        byte[] afterA = model.image;
        byte[] b = model.commit(c2, 0.4, PageCompression.NONE);
        byte[] c = model.commit(c3, 0.4, PageCompression.LZ4);

        List<byte[]> inputs = includeSnapshot ? List.of(a, b, c) : List.of(b, c);
        ByteArrayOutputStream merged = new ByteArrayOutputStream();
        LtxMerger.merge(inputs.stream().map(x -> (java.io.InputStream) new ByteArrayInputStream(x)).toList(), merged, PageCompression.LZ4);

        Path file = Files.createTempFile("ltx-merge", ".db");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            if (!includeSnapshot) {
                ch.write(ByteBuffer.wrap(afterA), 0);
            }
            LtxApplier.Result r = LtxApplier.apply(new ByteArrayInputStream(merged.toByteArray()), ch);
            assertThat(Files.readAllBytes(file)).isEqualTo(model.image);
            assertThat(r.header().minTxid()).isEqualTo(includeSnapshot ? 1 : 2);
            assertThat(r.header().maxTxid()).isEqualTo(3);
            assertThat(r.checksum()).isEqualTo(Checksums.database(model.image, 512));
        } finally {
            Files.delete(file);
        }
    }

    /** Damaged files are rejected with LtxException or (when the damage is undetectable) decode; nothing else. */
    @Property(tries = 400)
    void mutatedFilesFailOnlyWithLtxException(@ForAll @IntRange(min = 1, max = 8) int mutations, @ForAll boolean truncate,
                                              @ForAll long seed) {
        byte[] file = validFile(seed);
        Random random = new Random(seed);
        for (int i = 0; i < mutations; i++) {
            int at = random.nextInt(file.length);
            file[at] = random.nextInt(3) == 0 ? (byte) random.nextInt(256) : (byte) (file[at] ^ (1 << random.nextInt(8)));
        }
        byte[] input = truncate ? java.util.Arrays.copyOf(file, random.nextInt(file.length)) : file;
        Assertions.assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            try {
                new LtxDecoder(new ByteArrayInputStream(input)).verify();
            } catch (LtxException expected) {
                assertThat(expected.getMessage()).isNotBlank().doesNotContain("\n");
            }
        });
    }

    private static byte[] validFile(long seed) {
        try {
            RandomDb db = new RandomDb(1024, seed);
            db.commit(3, 1, PageCompression.LZ4);
            return db.commit(4, 0.7, (seed & 1) == 0 ? PageCompression.LZ4 : PageCompression.NONE);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
