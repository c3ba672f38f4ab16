package dev.litecluster.fs;

import dev.litecluster.ltx.Position;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static dev.litecluster.fs.Clients.sqlite3;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * kill -9 of the node at a random moment while an app commits one transaction after another; after
 * a restart on the same data directory, everything the app saw commit is there, the database is
 * intact, and the log replays to exactly the database file. Two rounds per journal mode by default,
 * more with {@code LITECLUSTER_SOAK=1}.
 */
class CrashRecoveryTest {
    private static final String DB = "app.db";
    private static final int ROUNDS = "1".equals(System.getenv("LITECLUSTER_SOAK")) ? 10 : 2;

    /** Numbered transactions of varied size, each id printed once its COMMIT has returned. */
    private static final String WRITER = """
            import random, sqlite3, sys
            c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
            c.execute("PRAGMA synchronous=" + sys.argv[2])
            i = c.execute("SELECT coalesce(max(id), 0) + 1 FROM t").fetchone()[0]
            while True:
                c.execute("BEGIN IMMEDIATE")
                c.execute("INSERT INTO t(id, v) VALUES (?, randomblob(?))", (i, random.randint(10, 6000)))
                if i % 7 == 0:
                    c.execute("UPDATE t SET v = randomblob(300) WHERE id % 13 = ?", (i % 13,))
                c.execute("COMMIT")
                print(i, flush=True)
                i += 1
            """;

    @TempDir
    Path root;

    @AfterEach
    void leaveNoMountBehind() throws Exception {
        MountedStore.detachIfMounted(root.resolve("mnt"));
    }

    /** WAL with synchronous=NORMAL never fsyncs at commit: the held WAL dies with the node, and its transactions come back from the log. */
    @ParameterizedTest
    @CsvSource({"DELETE, FULL", "TRUNCATE, FULL", "WAL, FULL", "WAL, NORMAL"})
    void everyCommitSurvivesAKilledNode(String mode, String synchronous) throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        for (int round = 0; round < ROUNDS; round++) {
            Set<Long> committed = ids(crashWhileWriting(mode, synchronous, random.nextInt(200, 1500)));
            Map<String, Position> positions;
            try (MountedStore node = MountedStore.open(root)) {
                Set<Long> present = ids(sqlite3(node.db(DB), "SELECT id FROM t;"));
                assertThat(present).as("round %d (seed %d): ids the writer saw commit", round, seed).containsAll(committed);
                positions = Oracle.checkMounted(node, DB);
            }
            Oracle.checkReplay(root, positions);
        }
    }

    /** Writes rows of 1000 bytes with a tiny page cache (so pages go to the database file before the commit), then waits uncommitted. */
    private static final String UNFINISHED = """
            import sqlite3, sys, time
            c = sqlite3.connect(sys.argv[1], isolation_level=None)
            c.execute("PRAGMA cache_size=10")
            c.execute("BEGIN")
            c.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
                      "INSERT INTO t(id, v) SELECT 100000 + i, randomblob(1000) FROM n", (int(sys.argv[2]),))
            print("inside", flush=True)
            time.sleep(600)
            """;

    /**
     * kill -9 of the node while a DELETE-mode transaction has written pages, uncommitted. 2 MB of
     * them are held in memory: the database file never sees them, and the journal is only deleted
     * at restart. 25 MB spill into the file behind a synced journal, which the restart plays back.
     * Either way the database is what was committed before, intact, and the log replays to it.
     */
    @ParameterizedTest
    @CsvSource({"2000, false", "25000, true"})
    void nodeDiesInsideATransaction(int rows, boolean spills) throws Exception {
        Path dir = MountedStore.databaseDir(root, DB);
        Path output = root.resolve("writer.out");
        byte[] committed;
        try (NodeProcess node = NodeProcess.start(root)) {
            Path db = root.resolve("mnt").resolve(DB);
            sqlite3(db, "PRAGMA journal_mode=DELETE; CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB);"
                    + "INSERT INTO t(id, v) SELECT value, randomblob(500) FROM generate_series(1, 300);");
            committed = Files.readAllBytes(dir.resolve("database"));
            Process writer = Clients.startPython(output, UNFINISHED, db, rows);
            try {
                awaitLine(writer, output, "inside", 60);
                node.kill();
            } finally {
                writer.destroyForcibly().waitFor();
            }
        }
        assertThat(dir.resolve("journal")).as("hot journal").exists();
        assertThat(Files.readAllBytes(dir.resolve("database")).length != committed.length
                || !java.util.Arrays.equals(Files.readAllBytes(dir.resolve("database")), committed))
                .as("the unfinished transaction wrote into the database file").isEqualTo(spills);
        assertThat(Files.exists(dir.resolve("spilled")) && Long.parseLong(Files.readString(dir.resolve("spilled")).strip()) == 1)
                .as("spill marker set").isEqualTo(spills);
        Map<String, Position> positions;
        try (MountedStore node = MountedStore.open(root)) {
            assertThat(sqlite3(node.db(DB), "SELECT count(*), max(id) FROM t;")).isEqualTo("300|300\n");
            positions = Oracle.checkMounted(node, DB);
        }
        assertThat(dir.resolve("journal")).as("journal after recovery").doesNotExist();
        Oracle.checkReplay(root, positions);
    }

    /** Commits rows of 1000 bytes, 100 per transaction, and never checkpoints; then stays connected. */
    private static final String UNCHECKPOINTED = """
            import sqlite3, sys, time
            c = sqlite3.connect(sys.argv[1], isolation_level=None)
            c.execute("PRAGMA wal_autocheckpoint=0")
            for first in range(1, int(sys.argv[2]) + 1, 100):
                c.execute("BEGIN")
                c.execute("WITH RECURSIVE n(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
                          "INSERT INTO t(id, v) SELECT 1000 + i, randomblob(1000) FROM n", (first, first + 99))
                c.execute("COMMIT")
            print("committed", flush=True)
            time.sleep(600)
            """;

    /**
     * kill -9 of the node, or a clean stop after the app died, while committed WAL transactions are
     * in no file but the log: 2000 rows (2 MB of WAL) held in memory, the WAL file empty; 70,000 rows
     * (75 MB) spill the WAL into its file past 64 MiB. The apply marker names the first of them, and
     * the restart writes them into the database file from the log: everything committed is there,
     * intact, and the log replays to it.
     */
    @ParameterizedTest
    @CsvSource({"2000, false, true", "70000, true, true", "2000, false, false"})
    void commitsOnlyInTheWalSurviveANodeStop(int rows, boolean spills, boolean killed) throws Exception {
        Path dir = MountedStore.databaseDir(root, DB);
        Path output = root.resolve("writer.out");
        try (NodeProcess node = NodeProcess.start(root)) {
            Path db = root.resolve("mnt").resolve(DB);
            sqlite3(db, "PRAGMA journal_mode=WAL; CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB);"
                    + "INSERT INTO t(id, v) SELECT value, randomblob(500) FROM generate_series(1, 300);");
            Process writer = Clients.startPython(output, UNCHECKPOINTED, db, rows);
            try {
                awaitLine(writer, output, "committed", 120);
                assertThat(Files.size(root.resolve("mnt").resolve(DB + "-wal"))).as("WAL through the mount")
                        .isGreaterThan((long) rows * 1000);
                assertThat(Files.size(dir.resolve("wal")) > 0).as("the WAL's file holds it").isEqualTo(spills);
                if (killed) {
                    node.kill();
                } else {
                    writer.destroyForcibly().waitFor(); // the app dies: its WAL is not checkpointed
                    node.stopCleanly();
                }
            } finally {
                writer.destroyForcibly().waitFor();
            }
        }
        assertThat(Long.parseLong(Files.readString(dir.resolve("applying")).strip())).as("apply marker").isPositive();
        Map<String, Position> positions;
        try (MountedStore node = MountedStore.open(root)) {
            assertThat(sqlite3(node.db(DB), "SELECT count(*) FROM t;")).isEqualTo((300 + rows) + "\n");
            positions = Oracle.checkMounted(node, DB);
        }
        Oracle.checkReplay(root, positions);
    }

    /**
     * Serves the mount from a child JVM and kills it {@code killAfterMillis} after the writer's first
     * commit; returns what the writer printed.
     */
    private String crashWhileWriting(String mode, String synchronous, int killAfterMillis) throws Exception {
        Path output = root.resolve("writer.out");
        try (NodeProcess node = NodeProcess.start(root)) {
            Path db = root.resolve("mnt").resolve(DB);
            sqlite3(db, "PRAGMA journal_mode=" + mode + "; CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, v BLOB);");
            Process writer = Clients.startPython(output, WRITER, db, synchronous);
            try {
                awaitFirstCommit(writer, output);
                Thread.sleep(killAfterMillis);
                node.kill();
            } finally {
                writer.destroyForcibly().waitFor();
            }
        }
        return Files.readString(output);
    }

    /** Waits until the writer printed {@code line}. */
    private static void awaitLine(Process writer, Path output, String line, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!Files.readString(output).contains(line)) {
            assertThat(writer.isAlive()).as("writer running: %s", Files.readString(output)).isTrue();
            assertThat(System.nanoTime() - deadline).as("writer printed '%s' within %d s", line, seconds).isNegative();
            Thread.sleep(10);
        }
    }

    /** The kill must land among the writer's commits, however slowly a loaded machine starts it. */
    private static void awaitFirstCommit(Process writer, Path output) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (ids(Files.readString(output)).isEmpty()) {
            assertThat(writer.isAlive()).as("writer running: %s", Files.readString(output)).isTrue();
            assertThat(System.nanoTime() - deadline).as("writer's first commit within 30 s").isNegative();
            Thread.sleep(10);
        }
    }

    /** The numbers on the lines of {@code text}; other lines (a writer's traceback after the kill) are ignored. */
    private static Set<Long> ids(String text) {
        return Arrays.stream(text.split("\n")).filter(line -> line.matches("\\d+")).map(Long::parseLong)
                .collect(Collectors.toSet());
    }
}
