package dev.litecluster.store;

import dev.litecluster.ltx.Checksums;
import dev.litecluster.store.sqlite.Freelist;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A writer that dies in the middle of a rollback-journal transaction leaves a hot journal; rolling it
 * back at startup must bring the log and the database file into agreement, including the freelist
 * pages SQLite reused without journaling them.
 */
class HotJournalRecoveryTest {
    private static final String NAME = "app.db";

    /** Builds a database with a long freelist: half of its big rows deleted. */
    private static final String SETUP = """
            import sqlite3, sys
            c = sqlite3.connect(sys.argv[1], isolation_level=None)
            c.execute("PRAGMA journal_mode=DELETE")
            c.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)")
            c.execute("BEGIN")
            for i in range(200):
                c.execute("INSERT INTO t(v) VALUES (randomblob(3000))")
            c.execute("COMMIT")
            c.execute("DELETE FROM t WHERE id % 2 = 0")
            print(c.execute("PRAGMA freelist_count").fetchone()[0])
            """;

    private static final String SMALL_COMMIT = """
            import sqlite3, sys
            sqlite3.connect(sys.argv[1], isolation_level=None).execute("UPDATE t SET v = x'00' WHERE id = 1")
            """;

    /** Dies inside a transaction whose pages spilled into the file (a tiny cache), reusing freelist pages. */
    private static final String CRASH = """
            import os, sqlite3, sys
            c = sqlite3.connect(sys.argv[1], isolation_level=None)
            c.execute("PRAGMA cache_size=2")
            c.execute("BEGIN")
            for i in range(40):
                c.execute("INSERT INTO t(v) VALUES (randomblob(3000))")
            os._exit(9)
            """;

    @TempDir
    Path dir;

    @Test
    void freelistIsReadFromTheFile() throws Exception {
        Path db = dir.resolve("free.db");
        int freelistCount = Integer.parseInt(python(SETUP, db).strip());
        try (FileChannel file = FileChannel.open(db)) {
            assertThat(freelistCount).isPositive();
            assertThat(Freelist.pages(file, 4096).cardinality()).isEqualTo(freelistCount);
        }
    }

    @Test
    void rollbackKeepsTheLogEqualToTheFile() throws Exception {
        DatabaseFiles files = new DatabaseFiles(NAME, dir.resolve("dbs").resolve(NAME));
        Files.createDirectories(files.dir());
        python(SETUP, files.database());
        try (Store store = Store.open(dir)) {
            Database database = store.get(NAME);
            assertThat(database.position().txid()).as("the existing file was imported").isEqualTo(1);
            python(SMALL_COMMIT, files.database());
            database.databaseWritten(0, Files.size(files.database())); // as if written through the mount
            database.journalFinalized();
            assertThat(database.position().txid()).as("a last record of a few pages").isEqualTo(2);
        }

        python(CRASH, files.database());
        Path journal = files.dir().resolve("database-journal");
        assertThat(journal).as("the writer left a hot journal").exists();
        Files.move(journal, files.journal());

        try (Store store = Store.open(dir)) {
            Database database = store.get(NAME);
            assertThat(files.journal()).doesNotExist();
            try (FileChannel file = FileChannel.open(files.database(), StandardOpenOption.READ)) {
                assertThat(Checksums.database(file, database.pageSize()))
                        .as("checksum of the file after recovery vs the logged position")
                        .isEqualTo(database.position().checksum());
            }
        }
    }

    private static String python(String script, Path db) throws Exception {
        Process p = new ProcessBuilder(List.of("python3", "-c", script, db.toString())).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        return out;
    }
}
