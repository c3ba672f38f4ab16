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
                for (var page : commit.pageOffsets().entrySet()) {
                    ByteBuffer data = ByteBuffer.allocate(pageSize);
                    wal.read(data, page.getValue());
                    data.flip();
                    db.write(data, (long) (page.getKey() - 1) * pageSize);
                }
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
