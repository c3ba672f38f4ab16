package dev.litecluster.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class LtxCommandTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cmd = new CommandLine(new Main());
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        return cmd.execute(args);
    }

    private static Path ltxDir() {
        String start = System.getProperty("litecluster.repo", System.getProperty("user.dir"));
        for (Path d = Path.of(start).toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isDirectory(d.resolve("shared/testdata/ltx"))) {
                return d.resolve("shared/testdata/ltx");
            }
        }
        throw new IllegalStateException("shared/testdata/ltx not found above " + start);
    }

    private static String golden(int txid) {
        return ltxDir().resolve("litestream-0.5.17/L0/%016x-%016x.ltx".formatted(txid, txid)).toString();
    }

    private static String corrupt(String kind) {
        return ltxDir().resolve("corrupt/" + kind + "/0000000000000002-0000000000000002.ltx").toString();
    }

    @Test
    void dumpPrintsHeaderFramesChecksumsAndOk() {
        assertThat(run("ltx", "dump", golden(2))).isZero();
        assertThat(out.toString())
                .contains("(4915 bytes)")
                .contains("flags: 0x00000002 (no database checksums)")
                .contains("page size: 4096")
                .contains("commit: 4 pages")
                .contains("txid: 0000000000000002-0000000000000002")
                .contains("timestamp: 2026-11-22T02:15:59.525Z")
                .contains("pages: 4")
                .containsPattern("\\s+3\\s+324\\s+2333\\s+0x[0-9a-f]{16}")
                .contains("file checksum: 0x9d7376ab67054872")
                .endsWith("ok" + System.lineSeparator());
    }

    @Test
    void dumpOfACorruptFileEndsWithTheReasonAndExitsOne() {
        assertThat(run("ltx", "dump", corrupt("bitflip"))).isEqualTo(1);
        assertThat(out.toString()).contains("pages: 4")
                .contains("CORRUPT: file checksum mismatch: stored 0x9D7376AB67054872, computed 0xFD7323BA668B7DED");
    }

    @Test
    void verifyReportsOneLinePerFile() {
        assertThat(run("ltx", "verify", golden(1), golden(5))).isZero();
        assertThat(out.toString().lines()).containsExactly(golden(1) + ": ok", golden(5) + ": ok");
    }

    @Test
    void verifyFailsWhenAnyFileIsCorrupt() {
        assertThat(run("ltx", "verify", golden(1), corrupt("truncated"), corrupt("index-length"))).isEqualTo(1);
        assertThat(out.toString().lines()).hasSize(3)
                .anyMatch(l -> l.startsWith(corrupt("truncated") + ": CORRUPT: truncated LTX file"))
                .anyMatch(l -> l.startsWith(corrupt("index-length") + ": CORRUPT: invalid page index length"));
    }

    @Test
    void unreadableFileIsAOneLineError() {
        assertThat(run("ltx", "verify", "/nonexistent/x.ltx")).isEqualTo(1);
        assertThat(err.toString().lines()).containsExactly("/nonexistent/x.ltx: ERROR: cannot read: no such file");
        assertThat(run("ltx", "dump", "/nonexistent/x.ltx")).isEqualTo(1);
        assertThat(err.toString()).contains("ltx dump: cannot read /nonexistent/x.ltx: no such file");
    }
}
