package dev.litecluster.fuse;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/** Concurrent SQLite writers and readers (python3, sqlite3 CLI, sqlite-jdbc) through the mount. */
class SqliteOverMountTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final int PER_WRITER = 100;
    static TestMount cached;
    /** Direct I/O for -wal and -journal, as the benchmark mounts it (the db file and -shm stay cached). */
    static TestMount directIo;

    @BeforeAll
    static void mount() throws IOException {
        cached = TestMount.passthrough();
        directIo = TestMount.create(b -> new PassthroughMain.DirectIoPassthrough(b,
                dev.litecluster.fuse.passthrough.CacheTimeouts.defaults(), List.of("-wal", "-journal")), MountOptions.defaults());
    }

    @AfterAll
    static void unmount() throws IOException {
        if (cached != null) cached.close();
        if (directIo != null) directIo.close();
    }

    @ParameterizedTest
    @CsvSource({"DELETE,false", "WAL,false", "DELETE,true", "WAL,true"})
    void concurrentWritersAndReadersKeepTheDatabaseConsistent(String journalMode, boolean direct) throws Exception {
        TestMount m = direct ? directIo : cached;
        Path db = m.mountPoint.resolve("counters-" + journalMode + ".db");
        Path stop = m.dir.resolve("stop-" + journalMode);
        Proc.python(TIMEOUT, SqliteScripts.CREATE, db, journalMode).ok();

        List<Process> readers = new ArrayList<>();
        for (int i = 0; i < 2; i++) readers.add(Proc.startPython(SqliteScripts.READER, db, stop));
        List<Process> writers = new ArrayList<>();
        for (int i = 0; i < 3; i++) writers.add(Proc.startPython(SqliteScripts.WRITER, db, PER_WRITER, "py" + i));
        writers.add(startCliWriter(m, db));
        CompletableFuture<Void> jdbc = CompletableFuture.runAsync(() -> jdbcWriter(db));

        for (Process w : writers) Proc.finish(w, TIMEOUT).ok();
        jdbc.join();
        Files.createFile(stop);
        for (Process r : readers) assertThat(Integer.parseInt(Proc.finish(r, TIMEOUT).ok().out().trim())).isGreaterThan(0);

        int total = 5 * PER_WRITER;
        String expected = "ok " + total + " " + total;
        assertThat(Proc.python(TIMEOUT, SqliteScripts.CHECK, db).ok().out().trim()).isEqualTo(expected);
        assertThat(Proc.run(TIMEOUT, "sqlite3", db.toString(), "PRAGMA integrity_check; SELECT count(*) FROM log WHERE tag='cli';")
                .ok().out().trim()).isEqualTo("ok\n" + PER_WRITER);
        // the backing file holds the same data when read directly
        assertThat(Proc.python(TIMEOUT, SqliteScripts.CHECK, m.backing.resolve(db.getFileName())).ok().out().trim()).isEqualTo(expected);
    }

    private static Process startCliWriter(TestMount m, Path db) throws IOException {
        StringBuilder sql = new StringBuilder(".timeout 60000\n");
        for (int i = 0; i < PER_WRITER; i++) {
            sql.append("BEGIN IMMEDIATE; UPDATE counters SET n = n + 1 WHERE id = ").append(i % 4)
                    .append("; INSERT INTO log(tag) VALUES ('cli'); COMMIT;\n");
        }
        Path script = Files.writeString(m.dir.resolve("cli-" + db.getFileName() + ".sql"), sql);
        return new ProcessBuilder("sqlite3", "-bail", db.toString()).redirectInput(script.toFile()).start();
    }

    private static void jdbcWriter(Path db) {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement()) {
            s.execute("PRAGMA busy_timeout = 60000");
            for (int i = 0; i < PER_WRITER; i++) {
                s.execute("BEGIN IMMEDIATE");
                s.execute("UPDATE counters SET n = n + 1 WHERE id = " + (i % 4));
                s.execute("INSERT INTO log(tag) VALUES ('jdbc')");
                s.execute("COMMIT");
            }
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }
}
