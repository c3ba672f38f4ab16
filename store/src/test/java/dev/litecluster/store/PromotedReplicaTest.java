package dev.litecluster.store;

import dev.litecluster.ltx.Checksums;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A replica whose last batch was logged but could not be written into its database file, then
 * promoted: its first own transaction must be captured (it used to fail with "log append out of
 * order" until a restart), continuing from what it applied.
 */
class PromotedReplicaTest {
    @TempDir
    Path dir;

    @Test
    void firstCaptureAfterAFailedApplyDropsTheUnappliedRecords() throws Exception {
        DatabaseFiles primaryFiles = new DatabaseFiles("app.db", dir.resolve("primary").resolve("app.db"));
        DatabaseFiles replicaFiles = new DatabaseFiles("app.db", dir.resolve("replica").resolve("app.db"));
        Files.createDirectories(primaryFiles.dir());
        sqlite3(primaryFiles.database(), "PRAGMA journal_mode=DELETE; CREATE TABLE t(v TEXT); INSERT INTO t VALUES ('one');");
        byte[] first;
        byte[] second;
        try (Database primary = Database.open(primaryFiles, 1)) {
            sqlite3(primaryFiles.database(), "INSERT INTO t VALUES ('two');");
            primary.databaseWritten(0, Files.size(primaryFiles.database()));
            primary.journalFinalized();
            assertThat(primary.position().txid()).isEqualTo(2);
            first = read(primary, 1);
            second = read(primary, 2);
        }
        try (Database replica = Database.open(replicaFiles, 2)) {
            replica.applyReplicated(List.of(staged(first)), fileWriter(replicaFiles.database()));
            ReplicaWriter failing = writer((pageSize, commit, pages) -> {
                throw new IOException("disk full");
            });
            assertThatThrownBy(() -> replica.applyReplicated(List.of(staged(second)), failing)).hasMessageContaining("disk full");
            assertThat(replica.position().txid()).isEqualTo(1);
            assertThat(replica.log().lastTxid()).as("the unapplied record stays in the log").isEqualTo(2);

            // Promoted: an app writes, and the node captures its own txid 2.
            sqlite3(replicaFiles.database(), "INSERT INTO t VALUES ('mine');");
            replica.databaseWritten(0, Files.size(replicaFiles.database()));
            replica.journalFinalized();
            assertThat(replica.position().txid()).isEqualTo(2);
            try (FileChannel file = FileChannel.open(replicaFiles.database(), StandardOpenOption.READ)) {
                assertThat(Checksums.database(file, replica.pageSize())).isEqualTo(replica.position().checksum());
            }
        }
        try (Database reopened = Database.open(replicaFiles, 2)) {
            assertThat(reopened.position().txid()).as("the log replays to the own transaction").isEqualTo(2);
        }
    }

    private static byte[] read(Database database, long txid) throws IOException {
        try (InputStream in = database.log().read(txid)) {
            return in.readAllBytes();
        }
    }

    private static StagedRecord staged(byte[] record) {
        return () -> new ByteArrayInputStream(record);
    }

    /** Writes pages straight into the file (no app reads it here). */
    private static ReplicaWriter fileWriter(Path database) {
        return writer((pageSize, commit, pages) -> {
            try (FileChannel file = FileChannel.open(database, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                pages.forEach((pgno, page) -> file.write(ByteBuffer.wrap(page), (long) (pgno - 1) * pageSize));
                file.truncate((long) commit * pageSize);
            }
        });
    }

    @FunctionalInterface
    private interface Write {
        void write(int pageSize, int commit, ReplicaWriter.Pages pages) throws IOException;
    }

    private static ReplicaWriter writer(Write write) {
        return new ReplicaWriter() {
            @Override
            public void write(int pageSize, int commit, Pages pages) throws IOException {
                write.write(pageSize, commit, pages);
            }

            @Override
            public void close() {
            }
        };
    }

    private static void sqlite3(Path db, String sql) throws Exception {
        Process p = new ProcessBuilder("sqlite3", db.toString(), sql).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as("sqlite3: %s", out).isZero();
    }
}
