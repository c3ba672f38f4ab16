package dev.litecluster.ltx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** The real Litestream 0.5.17 files of shared/testdata/ltx, checked against the README's tables. */
class LitestreamGoldenTest {

    record Frame(int pgno, long offset, int size, String sha256) {}

    record Golden(int txid, long fileSize, int commit, long timestamp, long fileChecksum, String fileSha256,
                  String dbSha256, long dbSize, List<Frame> frames) {}

    static final List<Golden> FILES = List.of(
            new Golden(1, 448, 2, 1795313759351L, 0xB5C484D8D9B517F2L,
                    "73a3c0d5b41c28989045daab86942e260081f23fe77e58741e36bd4ba7002420",
                    "adcc529deb06dcb1e448194575bb4daa8beefc8da62ff174c74f0dd689573470", 8192, List.of(
                    new Frame(1, 100, 165, "b4c3cbea4ca14821a268004e4ecdc5527c7d6e2e6506b42f87541eb842c16e09"),
                    new Frame(2, 265, 143, "f98c50c37467485ea15eb5d492c5d26c9b1d2180ed228ae82d7cae5ffd67f85b"))),
            new Golden(2, 4915, 4, 1795313759525L, 0x9D7376AB67054872L,
                    "9f333a302dcc7a03d869ec180c0fd3d9755d821b473552c416c29fd91f83e765",
                    "42af99fb5ef0c4f9ca31881b5dc45fd1e315ac9a2e2bac4583d2f61cea7e49c0", 16384, List.of(
                    new Frame(1, 100, 162, "cbd0e5aebbb406c41484596385f9aba43ccfee7b11e192338d7fb0e5080de482"),
                    new Frame(2, 262, 62, "265dac3d664250c65a6941fa07e5ba9d606e066ff385cc96ba5fa607e0e4b4e6"),
                    new Frame(3, 324, 2333, "44c7b9c37970116153619a24bd33145d4b88a79b690e8c9659f78675d2fa81c8"),
                    new Frame(4, 2657, 2209, "cec96108815e565ac8e9423bafaad2eee37f0f0d0e0e99c8cb46508b969e5751"))),
            new Golden(3, 2556, 4, 1795313759696L, 0xF0AB2C800BC31296L,
                    "d2704557077a519e8a4d54bb1fd199d82b7c7e1cad3112753bd0b3a524069a18",
                    "c1aa4dbe53df7f3f2dc97183b2d8dc16fc05bedb1b74e971f734e27b2dd535cb", 16384, List.of(
                    new Frame(1, 100, 162, "309ec7966bfdedcff307085877ab879d31320c5b273de0b153feace34780b520"),
                    new Frame(4, 262, 2254, "c5511c3efe2a5d7b3f01fcaac312aa6d4806e5aaac8f9b47c1eca4c5c1d10a2c"))),
            new Golden(4, 2013, 4, 1795313759861L, 0xE79C16CE54CB1823L,
                    "fdb055eebcd87643b4a58f2f893d31b0abcc0b7b993123555ae1460021d35786",
                    "2ca10a1866a05db54fc702ea3a5a69aac97051fcb276c7f1d38880858363d3ef", 16384, List.of(
                    new Frame(1, 100, 175, "a977de6b9f9c8434b88b8b466fd2f46226015153e7a808f95c13ac092f65cd5b"),
                    new Frame(2, 275, 1583, "4c9bcfd0b6a0c601c55685ac4eea736bdd755124bf6564e3f6599c1fa478e14a"),
                    new Frame(3, 1858, 59, "13636f966ae32777371335055822b68412771e8dcd891464e76f4f42ee786faf"),
                    new Frame(4, 1917, 48, "ad7facb2586fc6e966c004d7d1d16b024f5805ff7cb47c7a85dabd8b48892ca7"))),
            new Golden(5, 1814, 2, 1795313760029L, 0x939068875384FC6EL,
                    "3466d70c711789f765c757185bbfba8ae178d3884a886349161bc3c978201b41",
                    "4180e42ae4e35b1e7ccc32c26eef534a362fd121e9b3a2056c511e369238f149", 8192, List.of(
                    new Frame(1, 100, 172, "464236e864e152ae8178abe8893b84ef1d1f8a44f5c5b16fa3fb5a40ef2c2a0d"),
                    new Frame(2, 272, 1502, "9001f7c1f2fc98589ccf66252372dc7bcdc18e355be58305a3f7ca98b95941bd"))));

    @TempDir
    Path tmp;

    static List<Golden> files() {
        return FILES;
    }

    @ParameterizedTest
    @MethodSource("files")
    void decodesHeaderPagesAndTrailerExactly(Golden g) throws IOException {
        byte[] file = TestData.read(TestData.golden(g.txid()));
        assertThat(file).hasSize((int) g.fileSize());
        assertThat(TestData.sha256(file)).isEqualTo(g.fileSha256());

        LtxDecoder dec = new LtxDecoder(new ByteArrayInputStream(file));
        assertThat(dec.header()).isEqualTo(new LtxHeader(LtxHeader.FLAG_NO_CHECKSUM, 4096, g.commit(), g.txid(), g.txid(),
                g.timestamp(), 0, 0, 0, 0, 0, 0));
        assertThat(dec.header().isSnapshot()).isEqualTo(g.txid() == 1);

        byte[] page = new byte[4096];
        List<Frame> frames = new ArrayList<>();
        for (int pgno; (pgno = dec.nextPage(page)) != 0; ) {
            PageFrame f = dec.frames().getLast();
            frames.add(new Frame(pgno, f.offset(), f.size(), TestData.sha256(page)));
        }
        assertThat(frames).isEqualTo(g.frames());
        assertThat(dec.trailer()).isEqualTo(new LtxTrailer(0, g.fileChecksum()));
        assertThat(dec.offset()).isEqualTo(g.fileSize());
    }

    @Test
    void applyingInOrderReproducesEveryDatabaseIncludingVacuumTruncation() throws IOException {
        Path db = tmp.resolve("db");
        try (FileChannel ch = FileChannel.open(db, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            for (Golden g : FILES) {
                try (InputStream in = Files.newInputStream(TestData.golden(g.txid()))) {
                    LtxApplier.Result r = LtxApplier.apply(in, ch);
                    assertThat(r.header().maxTxid()).isEqualTo(g.txid());
                }
                assertThat(ch.size()).as("size after TXID %d", g.txid()).isEqualTo(g.dbSize());
                byte[] applied = Files.readAllBytes(db);
                assertThat(TestData.sha256(applied)).as("database after TXID %d", g.txid()).isEqualTo(g.dbSha256());
                assertThat(applied).isEqualTo(TestData.read(TestData.goldenDb(g.txid())));
            }
        }
    }

    @Test
    void mergingAllFilesGivesTheFinalDatabase() throws IOException {
        List<Path> inputs = FILES.stream().map(g -> TestData.golden(g.txid())).toList();
        Path merged = tmp.resolve(LtxFileName.format(1, 5));
        LtxMerger.merge(inputs, merged, PageCompression.LZ4);

        LtxHeader h = new LtxDecoder(Files.newInputStream(merged)).header();
        assertThat(h.minTxid()).isEqualTo(1);
        assertThat(h.maxTxid()).isEqualTo(5);
        assertThat(h.commit()).isEqualTo(2);
        assertThat(h.timestamp()).isEqualTo(FILES.getLast().timestamp());
        Path db = tmp.resolve("db");
        try (FileChannel ch = FileChannel.open(db, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
             InputStream in = Files.newInputStream(merged)) {
            LtxApplier.apply(in, ch);
        }
        assertThat(TestData.sha256(Files.readAllBytes(db))).isEqualTo(FILES.getLast().dbSha256());
    }

    @ParameterizedTest
    @MethodSource("files")
    void reencodedGoldenFileDecodesToTheSamePages(Golden g) throws IOException {
        LtxDecoder dec = new LtxDecoder(Files.newInputStream(TestData.golden(g.txid())));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LtxEncoder enc = new LtxEncoder(out, dec.header(), PageCompression.LZ4);
        List<String> pages = new ArrayList<>();
        byte[] page = new byte[4096];
        for (int pgno; (pgno = dec.nextPage(page)) != 0; ) {
            enc.writePage(pgno, page, 0);
            pages.add(pgno + ":" + TestData.sha256(page));
        }
        enc.finish(0);

        LtxDecoder again = new LtxDecoder(new ByteArrayInputStream(out.toByteArray()));
        assertThat(again.header()).isEqualTo(dec.header());
        List<String> decoded = new ArrayList<>();
        for (int pgno; (pgno = again.nextPage(page)) != 0; ) {
            decoded.add(pgno + ":" + TestData.sha256(page));
        }
        assertThat(decoded).isEqualTo(pages);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "truncated    | truncated LTX file: LZ4 block of page 3 (frame at offset 324) at offset 334 needs 2323 bytes, the file ends after 1161",
            "bitflip      | file checksum mismatch: stored 0x9D7376AB67054872, computed 0xFD7323BA668B7DED",
            "index-length | invalid page index length 18446744073709551600: the page index occupies 19 bytes"})
    void corruptCopiesAreRejectedByNameAndApplyNothing(String kind, String message) throws IOException {
        Path db = tmp.resolve("db");
        Files.copy(TestData.goldenDb(1), db);
        byte[] before = Files.readAllBytes(db);
        try (FileChannel ch = FileChannel.open(db, StandardOpenOption.READ, StandardOpenOption.WRITE);
             InputStream in = Files.newInputStream(TestData.corrupt(kind))) {
            assertThatThrownBy(() -> LtxApplier.apply(in, ch)).isInstanceOf(LtxException.class).hasMessage(message);
        }
        assertThat(Files.readAllBytes(db)).isEqualTo(before);
        assertThat(LtxInspector.inspect(TestData.corrupt(kind)).verdict()).isEqualTo("CORRUPT: " + message);
    }
}
