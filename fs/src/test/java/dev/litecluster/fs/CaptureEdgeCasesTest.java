package dev.litecluster.fs;

import dev.litecluster.store.TxLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.litecluster.fs.Clients.python;
import static dev.litecluster.fs.Clients.sqlite3;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The SQLite behaviours that make capture hard (reference/sqlite-internals.md §8), each driven by
 * real clients through the mount and checked by the {@link Oracle}: integrity in the mount, and the
 * log replayed from empty equal to the database file.
 */
class CaptureEdgeCasesTest {
    private static final String DB = "app.db";

    /** Creates, grows, updates, rolls back and deletes: a bit of everything, in any journal mode. */
    private static final String WORKLOAD = """
            CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB);
            INSERT INTO t(v) VALUES ('first');
            BEGIN; INSERT INTO t(v) SELECT randomblob(300) FROM generate_series(1, 300); COMMIT;
            BEGIN; UPDATE t SET v = 'rolled back'; ROLLBACK;
            UPDATE t SET v = randomblob(100) WHERE id % 3 = 0;
            DELETE FROM t WHERE id % 2 = 0;
            CREATE INDEX t_v ON t(v);
            INSERT INTO t(v) VALUES ('last');
            """;

    @TempDir
    Path root;

    @ParameterizedTest
    @ValueSource(strings = {"DELETE", "WAL"})
    void exclusiveLockingMode(String mode) throws Exception {
        Oracle.captureAndVerify(root, node -> {
            sqlite3(node.db(DB), "PRAGMA journal_mode=" + mode + "; CREATE TABLE seed(x); INSERT INTO seed VALUES (1);");
            // Prisma's migrations: one connection holding the EXCLUSIVE lock for the whole session
            sqlite3(node.db(DB), "PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_mode=" + mode + ";" + WORKLOAD
                    + "INSERT INTO seed VALUES (2);");
        }, DB);
    }

    @Test
    void journalModeSwitchesWithinOneSession() throws Exception {
        Oracle.captureAndVerify(root, node -> {
            String modes = sqlite3(node.db(DB), """
                    PRAGMA journal_mode=DELETE;
                    CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB);
                    INSERT INTO t(v) SELECT randomblob(200) FROM generate_series(1, 100);
                    PRAGMA journal_mode=WAL;
                    INSERT INTO t(v) SELECT randomblob(200) FROM generate_series(1, 100);
                    UPDATE t SET v = 'wal' WHERE id < 50;
                    PRAGMA journal_mode=DELETE;
                    DELETE FROM t WHERE id > 150;
                    PRAGMA journal_mode=WAL;
                    INSERT INTO t(v) VALUES ('wal again');
                    PRAGMA journal_mode=DELETE;
                    INSERT INTO t(v) VALUES ('delete again');
                    """);
            assertThat(modes).isEqualTo("delete\nwal\ndelete\nwal\ndelete\n");
            assertThat(sqlite3(node.db(DB), "SELECT count(*) FROM t;")).isEqualTo("152\n");
        }, DB);
    }

    @ParameterizedTest
    @CsvSource({"512, DELETE", "512, WAL", "4096, DELETE", "4096, WAL", "65536, DELETE", "65536, WAL"})
    void pageSizes(int pageSize, String mode) throws Exception {
        Oracle.captureAndVerify(root, node -> {
            sqlite3(node.db(DB), "PRAGMA page_size=" + pageSize + "; PRAGMA journal_mode=" + mode + ";" + WORKLOAD);
            assertThat(sqlite3(node.db(DB), "PRAGMA page_size;")).isEqualTo(pageSize + "\n");
        }, DB);
    }

    @Test
    void pageSizeChangedByVacuum() throws Exception {
        Oracle.captureAndVerify(root, node -> {
            sqlite3(node.db(DB), WORKLOAD);
            sqlite3(node.db(DB), "PRAGMA page_size=65536; VACUUM; INSERT INTO t(v) VALUES ('big pages');");
            sqlite3(node.db(DB), "PRAGMA page_size=1024; VACUUM; INSERT INTO t(v) VALUES ('small pages');");
            assertThat(sqlite3(node.db(DB), "PRAGMA page_size;")).isEqualTo("1024\n");
        }, DB);
    }

    @ParameterizedTest
    @ValueSource(strings = {"DELETE", "WAL"})
    void autoVacuumShrinksTheDatabase(String mode) throws Exception {
        Oracle.captureAndVerify(root, node -> {
            sqlite3(node.db(DB), "PRAGMA auto_vacuum=FULL; PRAGMA journal_mode=" + mode + ";"
                    + "CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB);"
                    + "INSERT INTO t(v) SELECT randomblob(400) FROM generate_series(1, 2000);");
            int before = Integer.parseInt(sqlite3(node.db(DB), "PRAGMA page_count;").trim());
            sqlite3(node.db(DB), "DELETE FROM t WHERE id % 2 = 0; DELETE FROM t WHERE id > 1000; DELETE FROM t WHERE id < 100;");
            int after = Integer.parseInt(sqlite3(node.db(DB), "PRAGMA page_count;").trim());
            assertThat(after).as("pages after the deletes").isLessThan(before / 2);
        }, DB);
    }

    /** Cache spill: rollback mode writes pages before the commit; WAL overwrites frames in place and rewrites checksums. */
    @ParameterizedTest
    @ValueSource(strings = {"DELETE", "WAL"})
    void transactionBiggerThanThePageCache(String mode) throws Exception {
        Oracle.captureAndVerify(root, node -> {
            sqlite3(node.db(DB), "PRAGMA journal_mode=" + mode + "; CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB);");
            long before = node.store.get(DB).position().txid();
            sqlite3(node.db(DB), """
                    PRAGMA cache_size=10;
                    BEGIN;
                    INSERT INTO t(v) SELECT randomblob(500) FROM generate_series(1, 5000);
                    UPDATE t SET v = randomblob(400) WHERE id % 7 = 0;
                    COMMIT;
                    """);
            assertThat(node.store.get(DB).position().txid()).as("one transaction, one record").isEqualTo(before + 1);
        }, DB);
    }

    @ParameterizedTest
    @ValueSource(strings = {"DELETE", "WAL"})
    void incrementalBlobIo(String mode) throws Exception {
        Oracle.captureAndVerify(root, node -> python("""
                import sqlite3, sys
                c = sqlite3.connect(sys.argv[1], isolation_level=None)
                c.execute("PRAGMA journal_mode=" + sys.argv[2])
                c.execute("CREATE TABLE b(id INTEGER PRIMARY KEY, data BLOB)")
                c.execute("INSERT INTO b(data) VALUES (zeroblob(300000))")
                expected = bytearray(300000)
                for i in range(20):
                    c.execute("BEGIN")
                    with c.blobopen("b", "data", 1) as blob:
                        blob.seek(i * 14000)
                        chunk = bytes([i + 1]) * 9000
                        blob.write(chunk)
                        expected[i * 14000:i * 14000 + 9000] = chunk
                    c.execute("COMMIT")
                c.execute("BEGIN")
                with c.blobopen("b", "data", 1) as blob:
                    blob.write(b"x" * 5000)
                c.execute("ROLLBACK")
                with c.blobopen("b", "data", 1, readonly=True) as blob:
                    assert blob.read() == bytes(expected), "blob content"
                """, node.db(DB), mode), DB);
    }

    /**
     * Both databases are in the mount, so SQLite creates the super-journal there too. With a tiny
     * page cache, pages of the main database are held (written before the commit) before the
     * super-journal exists: its creation spills them.
     */
    @ParameterizedTest
    @ValueSource(strings = {"", "PRAGMA cache_size=5; PRAGMA o.cache_size=5;"})
    void attachedDatabasesInOneTransaction(String cache) throws Exception {
        String other = "other.db";
        Oracle.captureAndVerify(root, node -> {
            String attach = "ATTACH '" + node.db(other) + "' AS o;" + cache;
            sqlite3(node.db(DB), attach + "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); CREATE TABLE o.u(id INTEGER PRIMARY KEY, v TEXT);");
            long mainBefore = node.store.get(DB).position().txid();
            long otherBefore = node.store.get(other).position().txid();
            sqlite3(node.db(DB), attach + """
                    BEGIN;
                    INSERT INTO t(v) SELECT 'main ' || value FROM generate_series(1, 200);
                    INSERT INTO o.u(v) SELECT 'other ' || value FROM generate_series(1, 200);
                    COMMIT;
                    BEGIN;
                    DELETE FROM t;
                    DELETE FROM o.u;
                    ROLLBACK;
                    """);
            assertThat(node.store.get(DB).position().txid()).isEqualTo(mainBefore + 1);
            assertThat(node.store.get(other).position().txid()).isEqualTo(otherBefore + 1);
            assertThat(sqlite3(node.db(DB), attach + "SELECT count(*) FROM t; SELECT count(*) FROM o.u;")).isEqualTo("200\n200\n");
            try (var superJournals = Files.list(node.store.superJournals())) {
                assertThat(superJournals).as("super-journals left behind").isEmpty();
            }
        }, DB, other);
    }

    /**
     * After each way a WAL restarts or shrinks, the next transactions must still be captured; the
     * scenario ends with them, so a miss cannot be papered over by a later transaction.
     * {@code journal_size_limit} cuts the WAL to its live frames after the commit that restarted it.
     */
    @ParameterizedTest
    @ValueSource(strings = {"PRAGMA journal_size_limit=0; PRAGMA wal_checkpoint(PASSIVE);",
            "PRAGMA wal_checkpoint(RESTART);", "PRAGMA wal_checkpoint(TRUNCATE);"})
    void transactionsAfterTheWalRestartsOrShrinks(String restart) throws Exception {
        Oracle.captureAndVerify(root, node -> sqlite3(node.db(DB), """
                PRAGMA journal_mode=WAL;
                CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB);
                INSERT INTO t(v) SELECT randomblob(300) FROM generate_series(1, 100);
                """ + restart + """
                INSERT INTO t(v) VALUES ('first after the restart');
                INSERT INTO t(v) VALUES ('second');
                UPDATE t SET v = 'third' WHERE id % 5 = 0;
                """), DB);
    }

    /**
     * A rollback-mode commit's pages reach the database file after the log, named by the apply
     * marker until the file is synced (a second later); with synchronous=OFF nothing is synced and
     * the marker is cleared at once (it only has to outlive the write, for a kill -9).
     */
    @ParameterizedTest
    @CsvSource({"FULL, true", "OFF, false"})
    void applyMarkerFollowsTheAppsSynchronousSetting(String synchronous, boolean namedAfterCommit) throws Exception {
        Path marker = MountedStore.databaseDir(root, DB).resolve("applying");
        Oracle.captureAndVerify(root, node -> {
            sqlite3(node.db(DB), "PRAGMA journal_mode=DELETE; CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB);");
            awaitMarkerCleared(marker); // the first commits' flush
            long txid = node.store.get(DB).position().txid();
            sqlite3(node.db(DB), "PRAGMA synchronous=" + synchronous + "; INSERT INTO t(v) VALUES (randomblob(5000));");
            assertThat(Long.parseLong(Files.readString(marker).strip())).as("apply marker right after the commit")
                    .isEqualTo(namedAfterCommit ? txid + 1 : 0);
            awaitMarkerCleared(marker);
        }, DB);
    }

    /**
     * A FULL commit's log sync makes the OFF commits before it durable in the log too, so the marker
     * it sets names the first of them: after a power loss recovery writes their pages as well.
     */
    @Test
    void syncedCommitNamesTheUnsyncedOnesBeforeIt() throws Exception {
        Path marker = MountedStore.databaseDir(root, DB).resolve("applying");
        Oracle.captureAndVerify(root, node -> {
            sqlite3(node.db(DB), "PRAGMA journal_mode=DELETE; CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB);");
            awaitMarkerCleared(marker);
            long txid = node.store.get(DB).position().txid();
            sqlite3(node.db(DB), "PRAGMA synchronous=OFF; INSERT INTO t(v) VALUES (1); INSERT INTO t(v) VALUES (2);");
            assertThat(Long.parseLong(Files.readString(marker).strip())).as("marker after OFF commits").isZero();
            sqlite3(node.db(DB), "PRAGMA synchronous=FULL; INSERT INTO t(v) VALUES (3);");
            assertThat(Long.parseLong(Files.readString(marker).strip())).as("marker after the FULL commit")
                    .isEqualTo(txid + 1);
            awaitMarkerCleared(marker);
        }, DB);
    }

    private static void awaitMarkerCleared(Path marker) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (Long.parseLong(Files.readString(marker).strip()) != 0) {
            assertThat(System.nanoTime() - deadline).as("marker cleared once the file is synced").isNegative();
            Thread.sleep(50);
        }
    }

    @Test
    void fileThatIsNotADatabaseIsRefused() throws Exception {
        String notes = "notes.txt";
        try (MountedStore node = MountedStore.open(root)) {
            Clients.Result shell = Clients.tryRun(List.of("bash", "-c", "echo hello > '" + node.db(notes) + "'"));
            assertThat(shell.exitCode()).as("echo into the mount: %s", shell.output()).isNotZero();
            assertThat(shell.output()).contains("Invalid argument");
            String error = python("""
                    import sys
                    try:
                        with open(sys.argv[1], "w") as f:
                            f.write("some text that is not a database\\n" * 10)
                        print("written")
                    except OSError as e:
                        print("refused:", e.strerror)
                    """, node.db("script.txt"));
            assertThat(error).isEqualTo("refused: Invalid argument\n");
            for (String name : List.of(notes, "script.txt")) {
                assertThat(Files.size(node.db(name))).as("%s holds nothing", name).isZero();
                assertThat(node.store.get(name).position().txid()).as("%s captured nothing", name).isZero();
                try (TxLog log = TxLog.open(MountedStore.databaseDir(root, name).resolve("log"))) {
                    assertThat(log.isEmpty()).as("log of %s", name).isTrue();
                }
            }
        }
    }
}
