package dev.litecluster.store;

import dev.litecluster.ltx.Checksums;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A rollback-mode commit whose pages were held in memory is killed right after its record reached
 * the log's file, before its pages reach the database file (its log sync, in a FULL commit, makes
 * that window milliseconds long): the apply marker must already name it, so recovery writes it.
 */
class HeldCommitCrashTest {
    @TempDir
    Path dir;

    @Test
    void aHeldCommitKilledAfterItsRecordIsWrittenAtRestart() throws Exception {
        DatabaseFiles files = new DatabaseFiles("app.db", dir.resolve("node").resolve("app.db"));
        Files.createDirectories(files.dir());
        Sqlite3Cli.run(files.database(), "PRAGMA journal_mode=DELETE; CREATE TABLE t(v TEXT); INSERT INTO t VALUES ('one');");
        Path copy = dir.resolve("copy.db");
        Files.copy(files.database(), copy);
        Sqlite3Cli.run(copy, "INSERT INTO t VALUES ('two');");
        byte[] before = Files.readAllBytes(files.database());
        byte[] after = Files.readAllBytes(copy);
        assertThat(after.length).isEqualTo(before.length);
        Database node = Database.open(files, 1);
        int pageSize = node.pageSize();
        node.journalWritten();
        for (int p = 0; p < after.length / pageSize; p++) {
            if (!Arrays.equals(before, p * pageSize, (p + 1) * pageSize, after, p * pageSize, (p + 1) * pageSize)) {
                MemorySegment page = MemorySegment.ofArray(Arrays.copyOfRange(after, p * pageSize, (p + 1) * pageSize));
                assertThat(node.holdDatabaseWrite((long) p * pageSize, page, false)).as("held").isTrue();
            }
        }
        // The commit's first step only (journalFinalized would write the pages next): the record is logged.
        Method capture = Database.class.getDeclaredMethod("captureRollback");
        capture.setAccessible(true);
        synchronized (node) {
            capture.invoke(node);
        }
        assertThat(node.log().lastTxid()).isEqualTo(2);
        assertThat(Files.readAllBytes(files.database())).as("the pages are still held").isEqualTo(before);
        // The process dies here: nothing is closed.

        try (Database reopened = Database.open(files, 1)) {
            assertThat(reopened.position().txid()).isEqualTo(2);
            assertThat(Files.readAllBytes(files.database())).as("the database file holds txid 2").isEqualTo(after);
            assertThat(Checksums.database(files.database(), reopened.pageSize())).isEqualTo(reopened.position().checksum());
        }
    }
}
