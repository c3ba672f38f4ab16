package dev.litecluster.fs;

import dev.litecluster.store.Database;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;

import static dev.litecluster.fs.Clients.python;
import static dev.litecluster.fs.Clients.sqlite3;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Real SQLite clients in separate processes write through the mount in every journal mode; the
 * log, replayed from empty, must reproduce the database file byte for byte.
 */
class CaptureOracleTest {
    @TempDir
    Path root;

    @ParameterizedTest
    @ValueSource(strings = {"DELETE", "TRUNCATE", "PERSIST", "WAL"})
    void logReplaysToTheDatabaseFile(String mode) throws Exception {
        Path dbFile;
        long txid;
        try (MountedStore node = MountedStore.open(root)) {
            Path db = node.db("app.db");
            sqlite3(db, "PRAGMA journal_mode=" + mode + ";"
                    + "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);"
                    + "INSERT INTO t(v) VALUES ('one');"
                    + "BEGIN; INSERT INTO t(v) SELECT hex(randomblob(300)) FROM generate_series(1, 400); COMMIT;"
                    + "BEGIN; UPDATE t SET v = 'rolled back'; ROLLBACK;"
                    + "UPDATE t SET v = upper(v) WHERE id % 3 = 0;"
                    + "DELETE FROM t WHERE id % 2 = 0;"
                    + "VACUUM;");
            python("""
                    import sqlite3, sys
                    c = sqlite3.connect(sys.argv[1], isolation_level=None)
                    for i in range(50):
                        c.execute("INSERT INTO t(v) VALUES (?)", ("py-%d" % i,))
                    c.execute("BEGIN")
                    c.executemany("INSERT INTO t(v) VALUES (?)", [("bulk-%d" % i,) for i in range(2000)])
                    c.execute("COMMIT")
                    c.close()
                    """, db);
            assertThat(sqlite3(db, "PRAGMA integrity_check; SELECT count(*) FROM t;")).isEqualTo("ok\n2251\n");
            Database database = node.store.get("app.db");
            txid = database.position().txid();
            assertThat(txid).isGreaterThan(50);
            String pos = Files.readString(node.mount.resolve("app.db-pos"));
            assertThat(pos).isEqualTo(database.position() + "\n");
            dbFile = database.files().database();
        }
        LogReplay.Replayed replayed = LogReplay.assertReplaysTo(root.resolve("data/dbs/app.db/log"), dbFile);
        assertThat(replayed.txid()).as("the log ends at the database's position").isEqualTo(txid);
    }
}
