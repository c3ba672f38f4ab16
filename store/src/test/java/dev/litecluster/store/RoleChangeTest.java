package dev.litecluster.store;

import dev.litecluster.ltx.Checksums;
import dev.litecluster.ltx.LtxEncoder;
import dev.litecluster.ltx.LtxHeader;
import dev.litecluster.ltx.PageCompression;
import dev.litecluster.store.sqlite.WalFollower;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A database whose node changes role with records not (all) written into its file. */
class RoleChangeTest {
    @TempDir
    Path dir;

    /**
     * A replica whose last batch was logged but could be written into its database file only in
     * part (a full disk): only a snapshot may replace it while it runs (a shorter batch would not
     * rewrite all of its pages). Then promoted, it must not capture its own transactions over a file
     * that holds some of that batch's pages and a log that has all of them: the app's first write is
     * refused with one line saying to restart; the restart writes the batch from the log, and from
     * there the node captures again.
     */
    @Test
    void aPromotedReplicaWhoseLastApplyFailedCapturesAgainAfterARestart() throws Exception {
        DatabaseFiles replicaFiles = new DatabaseFiles("app.db", dir.resolve("replica").resolve("app.db"));
        List<byte[]> records = primaryRecords("CREATE TABLE t(v TEXT); CREATE TABLE u(v TEXT);"
                + "INSERT INTO t VALUES ('one'); INSERT INTO u VALUES ('x');", "UPDATE u SET v = 'y';");
        byte[] first = records.get(0);
        byte[] second = records.get(1);
        try (Database replica = Database.open(replicaFiles, 2)) {
            replica.applyReplicated(List.of(staged(first)), fileWriter(replicaFiles.database()));
            ReplicaWriter partly = writer((pageSize, commit, pages) -> {
                try (FileChannel file = FileChannel.open(replicaFiles.database(), StandardOpenOption.WRITE)) {
                    pages.forEach((pgno, page) -> {
                        if (pgno != 1) {
                            file.write(ByteBuffer.wrap(page), (long) (pgno - 1) * pageSize);
                        }
                    });
                }
                throw new IOException("disk full");
            });
            assertThatThrownBy(() -> replica.applyReplicated(List.of(staged(second)), partly)).hasMessageContaining("disk full");
            assertThat(replica.position().txid()).isEqualTo(1);
            assertThat(replica.log().lastTxid()).as("the unapplied record stays in the log").isEqualTo(2);
            assertThatThrownBy(() -> replica.applyReplicated(List.of(staged(second)), fileWriter(replicaFiles.database())))
                    .isInstanceOf(DivergenceException.class).hasMessageContaining("a snapshot repairs it");

            // Promoted: the app's first write is refused; nothing of it reaches the file.
            byte[] file = Files.readAllBytes(replicaFiles.database());
            byte[] page1 = Arrays.copyOf(file, replica.pageSize());
            page1[63] = 7; // user_version
            assertThatThrownBy(replica::journalWritten).hasMessageContaining("txid 2..2").hasMessageContaining("restart the node");
            assertThatThrownBy(() -> replica.holdDatabaseWrite(0, MemorySegment.ofArray(page1), false))
                    .hasMessageContaining("restart the node");
            assertThat(replica.position().txid()).isEqualTo(1);
            assertThat(replica.log().lastTxid()).as("still in the log, for the restart").isEqualTo(2);
            assertThat(Files.readAllBytes(replicaFiles.database())).isEqualTo(file);
        }
        try (Database reopened = Database.open(replicaFiles, 2)) {
            assertThat(reopened.position().txid()).as("the restart wrote the batch from the log").isEqualTo(2);
            assertThat(Checksums.database(replicaFiles.database(), reopened.pageSize())).isEqualTo(reopened.position().checksum());
            Sqlite3Cli.run(replicaFiles.database(), "INSERT INTO t VALUES ('mine');");
            reopened.databaseWritten(0, Files.size(replicaFiles.database()));
            reopened.journalFinalized();
            assertThat(reopened.position().txid()).isEqualTo(3);
            assertThat(Checksums.database(replicaFiles.database(), reopened.pageSize())).isEqualTo(reopened.position().checksum());
        }
    }

    /**
     * A replica whose last batch was logged but whose write failed before it wrote any page (its
     * apply waited for SQLite's locks when the node took over), then promoted: its first own
     * transaction is captured (it used to fail with "log append out of order" until a restart),
     * continuing from what it applied; the unapplied records are dropped.
     */
    @Test
    void firstCaptureAfterAFailedApplyDropsTheUnappliedRecords() throws Exception {
        DatabaseFiles replicaFiles = new DatabaseFiles("app.db", dir.resolve("replica").resolve("app.db"));
        List<byte[]> records = primaryRecords("CREATE TABLE t(v TEXT); INSERT INTO t VALUES ('one');", "INSERT INTO t VALUES ('two');");
        byte[] first = records.get(0);
        byte[] second = records.get(1);
        try (Database replica = Database.open(replicaFiles, 2)) {
            replica.applyReplicated(List.of(staged(first)), fileWriter(replicaFiles.database()));
            ReplicaWriter failing = writer((pageSize, commit, pages) -> {
                throw new IOException("disk full");
            });
            assertThatThrownBy(() -> replica.applyReplicated(List.of(staged(second)), failing)).hasMessageContaining("disk full");
            assertThat(replica.position().txid()).isEqualTo(1);
            assertThat(replica.log().lastTxid()).as("the unapplied record stays in the log").isEqualTo(2);

            // Promoted: an app writes, and the node captures its own txid 2.
            Sqlite3Cli.run(replicaFiles.database(), "INSERT INTO t VALUES ('mine');");
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

    /**
     * A node whose apply marker names txid 5 (a batch not yet synced; on a demoted primary, its WAL
     * transactions since the last checkpoint) diverged and is sent a snapshot at txid 3, whose write
     * fails half-way; then the node dies, is stopped cleanly, or first lets its background flush run.
     * Recovery must write the snapshot again: the marker names 3, not 5 (past the log's end) nor
     * nothing, either of which would leave the file half old, half snapshot.
     */
    @ParameterizedTest
    @ValueSource(strings = {"killed", "closed", "flushed, then killed"})
    void aSnapshotWhoseWriteFailedIsWrittenAgainAtRestart(String end) throws Exception {
        DatabaseFiles otherFiles = new DatabaseFiles("app.db", dir.resolve("other").resolve("app.db"));
        DatabaseFiles snapshotFiles = new DatabaseFiles("app.db", dir.resolve("snapshot").resolve("app.db"));
        DatabaseFiles nodeFiles = new DatabaseFiles("app.db", dir.resolve("node").resolve("app.db"));
        List<byte[]> history = new ArrayList<>();
        Files.createDirectories(otherFiles.dir());
        Sqlite3Cli.run(otherFiles.database(), "PRAGMA journal_mode=DELETE; CREATE TABLE t(v TEXT); INSERT INTO t VALUES ('one');");
        try (Database other = Database.open(otherFiles, 1)) {
            for (int i = 2; i <= 5; i++) {
                Sqlite3Cli.run(otherFiles.database(), "INSERT INTO t SELECT 'other ' || hex(randomblob(400)) FROM t;");
                other.databaseWritten(0, Files.size(otherFiles.database()));
                other.journalFinalized();
            }
            for (long t = 1; t <= 5; t++) {
                history.add(read(other, t));
            }
        }
        Files.createDirectories(snapshotFiles.dir());
        Sqlite3Cli.run(snapshotFiles.database(), "PRAGMA journal_mode=DELETE; CREATE TABLE t(v TEXT);"
                + "INSERT INTO t SELECT 'snapshot ' || hex(randomblob(300)) FROM (SELECT 1 UNION SELECT 2 UNION SELECT 3);");
        byte[] snapshot;
        try (Database source = Database.open(snapshotFiles, 3)) {
            snapshot = snapshotAt(snapshotFiles.database(), source.pageSize(), 3);
        }

        Database node = Database.open(nodeFiles, 2);
        node.applyReplicated(history.subList(0, 4).stream().map(RoleChangeTest::staged).toList(), fileWriter(nodeFiles.database()));
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (ApplyMarker.read(nodeFiles.applying()) != 0) {
            assertThat(System.nanoTime()).as("the background flush clears the marker").isLessThan(deadline);
            Thread.sleep(50);
        }
        node.applyReplicated(List.of(staged(history.get(4))), fileWriter(nodeFiles.database()));
        assertThat(ApplyMarker.read(nodeFiles.applying())).isEqualTo(5);
        ReplicaWriter dies = writer((pageSize, commit, pages) -> {
            try (FileChannel file = FileChannel.open(nodeFiles.database(), StandardOpenOption.WRITE)) {
                pages.forEach((pgno, page) -> {
                    if (pgno == 2) {
                        throw new IOException("killed");
                    }
                    file.write(ByteBuffer.wrap(page), (long) (pgno - 1) * pageSize);
                });
            }
        });
        assertThatThrownBy(() -> node.applyReplicated(List.of(staged(snapshot)), dies)).hasMessageContaining("killed");
        if (end.equals("closed")) {
            node.close();
        } else if (end.startsWith("flushed")) {
            Thread.sleep(2_500); // the flush the last batch scheduled runs
        }
        // Else the process dies here: nothing is closed.

        try (Database reopened = Database.open(nodeFiles, 2)) {
            assertThat(reopened.position().txid()).isEqualTo(3);
            assertThat(Checksums.database(nodeFiles.database(), reopened.pageSize()))
                    .as("the database file holds the snapshot").isEqualTo(reopened.position().checksum());
        }
    }

    /** A WAL transaction whose pages equal what they were, then one that inserts a row. */
    private static final String NO_CHANGE_THEN_INSERT = """
            import os, shutil, sqlite3, sys
            shutil.copy(sys.argv[1], sys.argv[2])
            c = sqlite3.connect(sys.argv[2], isolation_level=None)
            c.execute("PRAGMA wal_autocheckpoint=0")
            c.execute("BEGIN"); c.execute("UPDATE t SET v = 'onf' WHERE v = 'one'"); c.execute("UPDATE t SET v = 'one' WHERE v = 'onf'"); c.execute("COMMIT")
            print(os.path.getsize(sys.argv[2] + "-wal"), flush=True)
            c.execute("INSERT INTO t VALUES ('three')")
            shutil.copy(sys.argv[2] + "-wal", sys.argv[3])
            os._exit(0)
            """;

    /**
     * A replica with a batch not yet flushed is promoted; its app's first WAL transaction changes no
     * page (no record), its background flush then runs, and the next WAL transaction is captured: the
     * marker must name that one, or a crash leaves it in the log but not in the database file.
     */
    @Test
    void aWalTransactionThatChangesNothingLeavesTheMarkerToTheNextOne() throws Exception {
        DatabaseFiles otherFiles = new DatabaseFiles("app.db", dir.resolve("other").resolve("app.db"));
        DatabaseFiles nodeFiles = new DatabaseFiles("app.db", dir.resolve("node").resolve("app.db"));
        Files.createDirectories(otherFiles.dir());
        Files.createDirectories(nodeFiles.dir());
        Sqlite3Cli.run(otherFiles.database(), "PRAGMA journal_mode=WAL; CREATE TABLE t(v TEXT); INSERT INTO t VALUES ('one');");
        Files.copy(otherFiles.database(), nodeFiles.database());
        byte[] second;
        try (Database other = Database.open(otherFiles, 1)) {
            Sqlite3Cli.run(otherFiles.database(), "INSERT INTO t VALUES ('two');");
            other.databaseWritten(0, Files.size(otherFiles.database()));
            other.journalFinalized();
            second = read(other, 2);
        }
        Database node = Database.open(nodeFiles, 2);
        node.applyReplicated(List.of(staged(second)), fileWriter(nodeFiles.database()));
        Path walCopy = dir.resolve("wal");
        Process app = new ProcessBuilder("python3", "-c", NO_CHANGE_THEN_INSERT, nodeFiles.database().toString(),
                dir.resolve("app.db").toString(), walCopy.toString()).redirectErrorStream(true).start();
        String output = new String(app.getInputStream().readAllBytes()).strip();
        assertThat(app.waitFor()).as(output).isZero();
        int noChangeEnd = Integer.parseInt(output);
        byte[] wal = Files.readAllBytes(walCopy);
        int frame = WalFollower.FRAME_HEADER_SIZE + node.pageSize();
        Files.write(nodeFiles.wal(), new byte[0]); // promoted: the app's WAL, empty, is held
        writeWal(node, wal, 0, WalFollower.HEADER_SIZE);
        for (int at = WalFollower.HEADER_SIZE; at < wal.length; at += frame) {
            if (at == noChangeEnd) {
                assertThat(node.position().txid()).as("no record for the transaction that changed nothing").isEqualTo(2);
                Thread.sleep(2_500); // the flush the batch scheduled runs
            }
            writeWal(node, wal, at, frame);
        }
        assertThat(node.position().txid()).isEqualTo(3);
        assertThat(ApplyMarker.read(nodeFiles.applying())).isEqualTo(3);
        // The process dies here: nothing is closed.

        try (Database reopened = Database.open(nodeFiles, 2)) {
            assertThat(reopened.position().txid()).isEqualTo(3);
            assertThat(Checksums.database(nodeFiles.database(), reopened.pageSize()))
                    .as("the database file holds the insert").isEqualTo(reopened.position().checksum());
        }
    }

    /** The app writes {@code wal[at..at+length)} at {@code at} of its WAL (held in memory). */
    private static void writeWal(Database node, byte[] wal, int at, int length) throws IOException {
        MemorySegment data = MemorySegment.ofArray(Arrays.copyOfRange(wal, at, at + length));
        assertThat(node.holdWalWrite(at, data)).as("held").isTrue();
        node.walWritten(at, data);
    }

    /** The snapshot record of the file {@code database} at {@code txid}. */
    private static byte[] snapshotAt(Path database, int pageSize, long txid) throws IOException {
        byte[] file = Files.readAllBytes(database);
        int pages = file.length / pageSize;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LtxEncoder encoder = new LtxEncoder(out, new LtxHeader(0, pageSize, pages, 1, txid,
                System.currentTimeMillis(), 0, 0, 0, 0, 0, 3), PageCompression.LZ4);
        for (int p = 1; p <= pages; p++) {
            encoder.writePage(p, file, (p - 1) * pageSize);
        }
        encoder.finish(Checksums.database(file, pageSize));
        return out.toByteArray();
    }

    /** The two records of a primary in DELETE mode: the database {@code schema} made, then {@code change}. */
    private List<byte[]> primaryRecords(String schema, String change) throws Exception {
        DatabaseFiles primaryFiles = new DatabaseFiles("app.db", dir.resolve("primary").resolve("app.db"));
        Files.createDirectories(primaryFiles.dir());
        Sqlite3Cli.run(primaryFiles.database(), "PRAGMA journal_mode=DELETE; " + schema);
        try (Database primary = Database.open(primaryFiles, 1)) {
            Sqlite3Cli.run(primaryFiles.database(), change);
            primary.databaseWritten(0, Files.size(primaryFiles.database()));
            primary.journalFinalized();
            assertThat(primary.position().txid()).isEqualTo(2);
            return List.of(read(primary, 1), read(primary, 2));
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
}
