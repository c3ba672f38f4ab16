package dev.litecluster.store.sqlite;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Follows a WAL written by real SQLite (sqlite-jdbc) and rebuilds the database from the captured commits. */
class WalFollowerTest {
    @TempDir
    Path dir;

    @Test
    void everyCommitIsFoundAndRebuildsTheDatabase() throws Exception {
        Path live = dir.resolve("live.db");
        Path copy = dir.resolve("copy.db");
        Path walCopy = dir.resolve("copy.wal");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + live);
             Statement s = c.createStatement()) {
            s.execute("PRAGMA journal_mode=WAL");
            s.execute("PRAGMA wal_autocheckpoint=0");
            s.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
            s.execute("PRAGMA wal_checkpoint(TRUNCATE)");
            Files.copy(live, copy);
            for (int i = 1; i <= 20; i++) {
                s.execute("INSERT INTO t(v) VALUES (hex(randomblob(" + (i * 100) + ")))");
            }
            s.execute("BEGIN");
            s.execute("INSERT INTO t(v) VALUES ('rolled back')");
            s.execute("ROLLBACK");
            Files.copy(dir.resolve("live.db-wal"), walCopy);
        }
        try (FileChannel wal = FileChannel.open(walCopy, StandardOpenOption.READ);
             FileChannel db = FileChannel.open(copy, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            WalFollower follower = new WalFollower(wal);
            List<WalFollower.Commit> commits = follower.scanFromStart();
            assertThat(commits).hasSize(20);
            assertThat(follower.active()).isTrue();
            int pageSize = follower.pageSize();
            for (WalFollower.Commit commit : commits) {
                assertThat(commit.pageCopies()).as("pages held from validation").isNotEmpty();
                for (var page : commit.pageOffsets().entrySet()) {
                    byte[] held = new byte[pageSize];
                    assertThat(follower.readPage(commit, page.getKey(), held)).isTrue();
                    ByteBuffer data = ByteBuffer.allocate(pageSize);
                    wal.read(data, page.getValue());
                    assertThat(held).as("page %d as handed to capture vs its frame", page.getKey()).isEqualTo(data.array());
                    db.write(ByteBuffer.wrap(held), (long) (page.getKey() - 1) * pageSize);
                }
                assertThat(follower.readPage(commit, commit.commitPages() + 1, new byte[pageSize])).isFalse();
                db.truncate((long) commit.commitPages() * pageSize);
            }
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + copy);
             ResultSet r = c.createStatement().executeQuery("SELECT count(*), (SELECT integrity_check FROM pragma_integrity_check) FROM t")) {
            assertThat(r.getInt(1)).isEqualTo(20);
            assertThat(r.getString(2)).isEqualTo("ok");
        }
    }

    @Test
    void pagesBeyondTheHeldBudgetAreReadFromTheWal() throws Exception {
        Path live = dir.resolve("big.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + live);
             Statement s = c.createStatement()) {
            s.execute("PRAGMA journal_mode=WAL");
            s.execute("PRAGMA wal_autocheckpoint=0");
            s.execute("CREATE TABLE t(v BLOB)");
            s.execute("INSERT INTO t VALUES (randomblob(3000000))");
            try (FileChannel wal = FileChannel.open(dir.resolve("big.db-wal"), StandardOpenOption.READ)) {
                WalFollower follower = new WalFollower(wal);
                WalFollower.Commit big = follower.scanFromStart().getLast();
                assertThat(big.pageCopies().size()).as("copies held").isPositive().isLessThan(big.pageOffsets().size());
                for (var page : big.pageOffsets().entrySet()) {
                    byte[] read = new byte[follower.pageSize()];
                    assertThat(follower.readPage(big, page.getKey(), read)).isTrue();
                    ByteBuffer frame = ByteBuffer.allocate(follower.pageSize());
                    wal.read(frame, page.getValue());
                    assertThat(read).as("page %d", page.getKey()).isEqualTo(frame.array());
                }
            }
        }
    }

    @Test
    void writeInsideUncommittedFramesRestartsValidation() throws Exception {
        Path walFile = dir.resolve("x.wal");
        Files.write(walFile, new byte[0]);
        try (FileChannel wal = FileChannel.open(walFile, StandardOpenOption.READ)) {
            WalFollower follower = new WalFollower(wal);
            assertThat(follower.afterWrite(0)).isEmpty();
            assertThat(follower.active()).isFalse();
        }
    }
}
