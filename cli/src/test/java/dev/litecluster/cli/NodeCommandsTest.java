package dev.litecluster.cli;

import dev.litecluster.cli.config.Config;
import dev.litecluster.cli.config.ConfigLoader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** status, export and import against a real node (mount + API) with sqlite3 writing through the mount. */
class NodeCommandsTest {
    @TempDir
    Path root;
    private Node node;
    private String url;

    @BeforeEach
    void startNode() throws Exception {
        Config config = new ConfigLoader(Map.of()).parse("test", """
                fuse:
                  dir: %s/mnt
                data:
                  dir: %s/data
                http:
                  addr: 127.0.0.1:0
                  secret: s3cret
                """.formatted(root, root));
        node = Node.start(config);
        url = "http://127.0.0.1:" + node.apiPort();
        sqlite3("PRAGMA journal_mode=WAL; CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);"
                + "INSERT INTO t(v) SELECT 'row' FROM generate_series(1, 100);");
    }

    @AfterEach
    void stopNode() {
        node.close();
    }

    @Test
    void statusShowsEachDatabasePosition() {
        Result r = cli("status", "--url", url);
        assertThat(r.code).as(r.err).isZero();
        assertThat(r.out).contains("ROLE").containsPattern("primary +app.db +3 ");
    }

    @Test
    void exportIsConsistentWhileWritersRun() throws Exception {
        Process writer = new ProcessBuilder("python3", "-c", """
                import sqlite3, sys
                c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
                for i in range(2000):
                    c.execute("INSERT INTO t(v) VALUES ('w')")
                """, root.resolve("mnt/app.db").toString()).redirectErrorStream(true).start();
        Path copy = root.resolve("copy.db");
        Result r = cli("export", "--url", url, "--name", "app.db", copy.toString());
        assertThat(writer.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(r.code).as(r.err).isZero();
        String check = run(List.of("sqlite3", copy.toString(), "PRAGMA integrity_check; SELECT count(*) >= 100 FROM t;"));
        assertThat(check).isEqualTo("ok\n1\n");
    }

    @Test
    void importReplacesTheDatabaseInOneTransaction() throws Exception {
        Path file = root.resolve("new.db");
        run(List.of("sqlite3", file.toString(), "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t(v) VALUES ('imported');"));
        long before = node.status().databases().getFirst().txid();
        Result r = cli("import", "--url", url, "--name", "app.db", file.toString());
        assertThat(r.code).as(r.err).isZero();
        assertThat(r.out).contains("imported app.db");
        assertThat(node.status().databases().getFirst().txid()).isEqualTo(before + 1);
        assertThat(sqlite3("SELECT v FROM t;")).isEqualTo("imported\n");
    }

    @Test
    void badImportIsRefusedAndChangesNothing() throws Exception {
        Path junk = Files.writeString(root.resolve("junk.db"), "definitely not sqlite");
        long before = node.status().databases().getFirst().txid();
        Result r = cli("import", "--url", url, "--name", "app.db", junk.toString());
        assertThat(r.code).isEqualTo(1);
        assertThat(r.err.strip()).isEqualTo("litecluster: the uploaded file is not a SQLite database (HTTP 400)");
        assertThat(node.status().databases().getFirst().txid()).isEqualTo(before);
        assertThat(sqlite3("SELECT count(*) FROM t;")).isEqualTo("100\n");
    }

    @Test
    void wrongSecretIsOneClearLine() {
        Result r = cliWithSecret("wrong", "status", "--url", url);
        assertThat(r.code).isEqualTo(1);
        assertThat(r.err.strip()).isEqualTo("litecluster: missing or wrong cluster secret (HTTP 401)");
        Result down = cli("status", "--url", "http://127.0.0.1:1");
        assertThat(down.code).isEqualTo(1);
        assertThat(down.err).startsWith("litecluster: cannot reach the node at http://127.0.0.1:1");
    }

    private String sqlite3(String sql) throws Exception {
        return run(List.of("sqlite3", root.resolve("mnt/app.db").toString(), sql));
    }

    private static String run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    private record Result(int code, String out, String err) {
    }

    private Result cli(String... args) {
        return cliWithSecret("s3cret", args);
    }

    /** Runs a command in this JVM with its output captured; the secret goes in as --config would give it. */
    private Result cliWithSecret(String secret, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        System.setOut(new PrintStream(out, true));
        System.setErr(new PrintStream(err, true));
        try {
            Path config;
            try {
                config = Files.writeString(Files.createTempFile(root, "client", ".yml"),
                        "fuse:\n  dir: x\ndata:\n  dir: y\nhttp:\n  secret: " + secret + "\n");
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            String[] withConfig = java.util.stream.Stream.concat(java.util.Arrays.stream(args),
                    java.util.stream.Stream.of("--config", config.toString())).toArray(String[]::new);
            int code = new CommandLine(new Main()).execute(withConfig);
            return new Result(code, out.toString(), err.toString());
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }
}
