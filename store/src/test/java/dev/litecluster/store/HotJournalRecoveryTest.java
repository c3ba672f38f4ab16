package dev.litecluster.store;

import dev.litecluster.ltx.Checksums;
import dev.litecluster.store.sqlite.Freelist;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A writer that dies in the middle of a rollback-journal transaction leaves a hot journal; recovery
 * at startup must bring the log and the database file into agreement: playing it back when the
 * transaction wrote the file (including the freelist pages SQLite reused without journaling them),
 * deleting it when the transaction's pages were held in memory.
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

    /** A transaction that spilled into the file (the marker says so) is played back from its journal. */
    @Test
    void spilledTransactionIsPlayedBack() throws Exception {
        DatabaseFiles files = crashInATransaction(false);
        Files.writeString(files.spilled(), "1\n");
        assertRecovered(files);
        assertThat(SpillMarker.isSet(files.spilled())).as("marker cleared").isFalse();
    }

    /**
     * Without the marker the transaction's pages never reached the file (they were held in memory):
     * its journal, whose fsyncs were skipped and which may be torn, is deleted, not played back.
     */
    @Test
    void journalOfAHeldTransactionIsOnlyDeleted() throws Exception {
        DatabaseFiles files = crashInATransaction(true);
        byte[] before = Files.readAllBytes(files.database());
        // A torn journal: the first page record's second byte changed, which SQLite's record checksum
        // (every 200th byte from the end) does not cover, so playing it back would write it into the file.
        try (FileChannel journal = FileChannel.open(files.journal(), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer header = ByteBuffer.allocate(28);
            journal.read(header, 0);
            long at = header.getInt(20) + 4 + 1; // records start a sector in: pgno (4 bytes), then the page
            ByteBuffer b = ByteBuffer.allocate(1);
            journal.read(b, at);
            journal.write(ByteBuffer.wrap(new byte[] {(byte) ~b.get(0)}), at);
        }
        assertRecovered(files);
        assertThat(Files.readAllBytes(files.database())).as("database file untouched").isEqualTo(before);
        try (Store store = Store.open(dir)) {
            assertThat(store.get(NAME).position().txid()).as("no transaction dropped or added").isEqualTo(2);
        }
    }

    /**
     * No journal of the mount is left after recovery, so a super-journal left by a crash is deleted,
     * unless it names a journal that exists (of a database outside the mount, whose SQLite reads it).
     */
    @Test
    void staleSuperJournalIsDeleted() throws Exception {
        Path stale = dir.resolve("superjournals").resolve("app.db-mj1A2B3C4D");
        Path live = dir.resolve("superjournals").resolve("app.db-mj5E6F7A8B");
        Path outside = dir.resolve("outside.db-journal");
        Files.createDirectories(stale.getParent());
        Files.writeString(outside, "hot");
        Files.writeString(stale, "/mnt/app.db-journal\0/mnt/other.db-journal\0");
        Files.writeString(live, "/mnt/app.db-journal\0" + outside + "\0");
        try (Store store = Store.open(dir)) {
            assertThat(stale).doesNotExist();
            assertThat(live).exists();
        }
    }

    /**
     * Two committed transactions through a store, then a writer that dies inside a transaction whose
     * pages spilled into the file (a tiny cache), reusing freelist pages; its hot journal is left
     * where the store keeps it. With {@code restoreFile} the database file is put back as it was
     * before that transaction, as if its pages had been held in memory.
     */
    private DatabaseFiles crashInATransaction(boolean restoreFile) throws Exception {
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
        byte[] committed = Files.readAllBytes(files.database());
        python(CRASH, files.database());
        Path journal = files.dir().resolve("database-journal");
        assertThat(journal).as("the writer left a hot journal").exists();
        Files.move(journal, files.journal());
        if (restoreFile) {
            Files.write(files.database(), committed);
        }
        return files;
    }

    private void assertRecovered(DatabaseFiles files) throws Exception {
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
