package dev.litecluster.store.sqlite;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
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
            WalFollower follower = new WalFollower(WalSource.of(wal));
            List<WalFollower.Commit> commits = follower.scanFromStart();
            assertThat(commits).hasSize(20);
            assertThat(follower.active()).isTrue();
            int pageSize = follower.pageSize();
            for (WalFollower.Commit commit : commits) {
                assertThat(commit.pageCopies()).as("pages held from validation").isNotEmpty();
                for (var page : commit.pageOffsets().entrySet()) {
                    byte[] held = follower.page(commit, page.getKey(), new byte[pageSize]);
                    ByteBuffer data = ByteBuffer.allocate(pageSize);
                    wal.read(data, page.getValue());
                    assertThat(held).as("page %d as handed to capture vs its frame", page.getKey()).isEqualTo(data.array());
                    db.write(ByteBuffer.wrap(held), (long) (page.getKey() - 1) * pageSize);
                }
                assertThat(follower.page(commit, commit.commitPages() + 1, new byte[pageSize])).isNull();
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
                WalFollower follower = new WalFollower(WalSource.of(wal));
                WalFollower.Commit big = follower.scanFromStart().getLast();
                assertThat(big.pageCopies().size()).as("copies held").isPositive().isLessThan(big.pageOffsets().size());
                for (var page : big.pageOffsets().entrySet()) {
                    byte[] read = follower.page(big, page.getKey(), new byte[follower.pageSize()]);
                    ByteBuffer frame = ByteBuffer.allocate(follower.pageSize());
                    wal.read(frame, page.getValue());
                    assertThat(read).as("page %d", page.getKey()).isEqualTo(frame.array());
                }
            }
        }
    }

    /** A WAL of 20 one-row transactions (and a few multi-page ones) written by real SQLite. */
    private byte[] sqliteWal() throws Exception {
        Path live = dir.resolve("source.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + live);
             Statement s = c.createStatement()) {
            s.execute("PRAGMA journal_mode=WAL");
            s.execute("PRAGMA wal_autocheckpoint=0");
            s.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
            for (int i = 1; i <= 20; i++) {
                s.execute("INSERT INTO t(v) VALUES (hex(randomblob(" + (i * 150) + ")))");
            }
            return Files.readAllBytes(dir.resolve("source.db-wal"));
        }
    }

    /**
     * Writes {@code wal} over {@code target}'s old content the way SQLite does (the header, then per
     * frame its header and its page in two writes), reporting each write with its bytes; returns, per
     * write, the commits it completed.
     */
    private static List<List<WalFollower.Commit>> writeAsSqlite(byte[] wal, Path target, int pageSize) throws Exception {
        try (FileChannel in = FileChannel.open(target, StandardOpenOption.READ)) {
            return writeAsSqlite(wal, target, pageSize, new WalFollower(WalSource.of(in)));
        }
    }

    private static List<List<WalFollower.Commit>> writeAsSqlite(byte[] wal, Path target, int pageSize, WalFollower follower)
            throws Exception {
        List<List<WalFollower.Commit>> perWrite = new java.util.ArrayList<>();
        try (FileChannel out = FileChannel.open(target, StandardOpenOption.WRITE)) {
            int at = 0;
            while (at < wal.length) {
                int length = at == 0 ? WalFollower.HEADER_SIZE
                        : (at - WalFollower.HEADER_SIZE) % (WalFollower.FRAME_HEADER_SIZE + pageSize) == 0
                        ? WalFollower.FRAME_HEADER_SIZE : pageSize;
                out.write(ByteBuffer.wrap(wal, at, length), at);
                perWrite.add(follower.afterWrite(at, MemorySegment.ofArray(wal).asSlice(at, length)));
                at += length;
            }
        }
        return perWrite;
    }

    @Test
    void writesOverAnOlderGenerationAreCapturedAtThePageWriteOfEachCommitFrame() throws Exception {
        byte[] wal = sqliteWal();
        int pageSize = ByteBuffer.wrap(wal).getInt(8);
        Path target = dir.resolve("target.wal");
        byte[] old = new byte[wal.length + 3 * pageSize];
        new java.util.Random(5).nextBytes(old);
        Files.write(target, old);

        List<List<WalFollower.Commit>> perWrite = writeAsSqlite(wal, target, pageSize);

        List<WalFollower.Commit> scanned;
        try (FileChannel in = FileChannel.open(target, StandardOpenOption.READ)) {
            scanned = new WalFollower(WalSource.of(in)).scanFromStart();
        }
        assertThat(scanned).hasSize(21);
        List<WalFollower.Commit> followed = new java.util.ArrayList<>();
        for (int w = 0; w < perWrite.size(); w++) {
            boolean pageWrite = w > 0 && w % 2 == 0;
            assertThat(perWrite.get(w).size()).as("write %d", w).isLessThanOrEqualTo(pageWrite ? 1 : 0);
            followed.addAll(perWrite.get(w));
        }
        assertThat(followed).hasSize(21);
        for (int i = 0; i < followed.size(); i++) {
            assertThat(followed.get(i).pageOffsets()).isEqualTo(scanned.get(i).pageOffsets());
            for (int pgno : followed.get(i).pageOffsets().keySet()) {
                assertThat(followed.get(i).pageCopies().get(pgno)).as("commit %d page %d", i, pgno)
                        .isEqualTo(scanned.get(i).pageCopies().get(pgno));
            }
        }
    }

    @Test
    void aFrameHeaderWrittenOverItsPageAlreadyInTheFileCompletesTheCommit() throws Exception {
        byte[] wal = sqliteWal();
        int pageSize = ByteBuffer.wrap(wal).getInt(8);
        int frameSize = WalFollower.FRAME_HEADER_SIZE + pageSize;
        Path target = dir.resolve("target.wal");
        // The file already holds every page where the new WAL puts it (an older generation that wrote
        // the same pages), under frame headers that do not validate.
        byte[] old = wal.clone();
        for (int at = WalFollower.HEADER_SIZE; at < old.length; at += frameSize) {
            java.util.Arrays.fill(old, at, at + WalFollower.FRAME_HEADER_SIZE, (byte) 0x5a);
        }
        Files.write(target, old);

        List<List<WalFollower.Commit>> perWrite = writeAsSqlite(wal, target, pageSize);

        int commits = 0;
        for (int w = 0; w < perWrite.size(); w++) {
            boolean headerWrite = w % 2 == 1;
            if (!headerWrite) {
                assertThat(perWrite.get(w)).as("write %d", w).isEmpty();
            }
            commits += perWrite.get(w).size();
        }
        assertThat(commits).isEqualTo(21);
    }

    /** {@code wal} as a new generation: salt 1 changed, every header and frame checksum redone. */
    private static byte[] nextGeneration(byte[] wal, int pageSize) {
        byte[] next = wal.clone();
        ByteBuffer b = ByteBuffer.wrap(next);
        java.nio.ByteOrder order = b.getInt(0) == 0x377f0683 ? java.nio.ByteOrder.BIG_ENDIAN : java.nio.ByteOrder.LITTLE_ENDIAN;
        b.putInt(16, b.getInt(16) + 1);
        WalChecksum sum = new WalChecksum(0, 0).update(next, 0, 24, order);
        b.putInt(24, sum.s0()).putInt(28, sum.s1());
        for (int at = WalFollower.HEADER_SIZE; at < next.length; at += WalFollower.FRAME_HEADER_SIZE + pageSize) {
            b.putInt(at + 8, b.getInt(16)).putInt(at + 12, b.getInt(20));
            sum.update(next, at, 8, order).update(next, at + WalFollower.FRAME_HEADER_SIZE, pageSize, order);
            b.putInt(at + 16, sum.s0()).putInt(at + 20, sum.s1());
        }
        return next;
    }

    @Test
    void aNewGenerationOverTheSamePagesCompletesFramesAtTheirHeaderWrites() throws Exception {
        byte[] first = sqliteWal();
        int pageSize = ByteBuffer.wrap(first).getInt(8);
        Path target = dir.resolve("target.wal");
        Files.write(target, new byte[0]);
        try (FileChannel in = FileChannel.open(target, StandardOpenOption.READ)) {
            WalFollower follower = new WalFollower(WalSource.of(in));
            assertThat(writeAsSqlite(first, target, pageSize, follower).stream().mapToInt(List::size).sum()).isEqualTo(21);
            List<List<WalFollower.Commit>> perWrite = writeAsSqlite(nextGeneration(first, pageSize), target, pageSize, follower);
            int commits = 0;
            for (int w = 0; w < perWrite.size(); w++) {
                if (w % 2 == 0) {
                    assertThat(perWrite.get(w)).as("write %d (a page)", w).isEmpty();
                }
                commits += perWrite.get(w).size();
            }
            assertThat(commits).as("each completed by its header write, the page already there").isEqualTo(21);
        }
    }

    @Test
    void aNewGenerationOverOtherPagesCompletesFramesAtTheirPageWrites() throws Exception {
        byte[] first = sqliteWal();
        int pageSize = ByteBuffer.wrap(first).getInt(8);
        byte[] second = nextGeneration(first, pageSize);
        for (int at = WalFollower.HEADER_SIZE; at < second.length; at += WalFollower.FRAME_HEADER_SIZE + pageSize) {
            second[at + WalFollower.FRAME_HEADER_SIZE + 100] ^= 1; // a different page in every frame...
        }
        second = nextGeneration(second, pageSize); // ...under valid checksums
        Path target = dir.resolve("target.wal");
        Files.write(target, new byte[0]);
        try (FileChannel in = FileChannel.open(target, StandardOpenOption.READ)) {
            WalFollower follower = new WalFollower(WalSource.of(in));
            writeAsSqlite(first, target, pageSize, follower);
            List<List<WalFollower.Commit>> perWrite = writeAsSqlite(second, target, pageSize, follower);
            int commits = 0;
            for (int w = 0; w < perWrite.size(); w++) {
                if (w % 2 == 1) {
                    assertThat(perWrite.get(w)).as("write %d (a frame header)", w).isEmpty();
                }
                commits += perWrite.get(w).size();
            }
            assertThat(commits).isEqualTo(21);
            List<WalFollower.Commit> scanned;
            try (FileChannel again = FileChannel.open(target, StandardOpenOption.READ)) {
                scanned = new WalFollower(WalSource.of(again)).scanFromStart();
            }
            assertThat(scanned).hasSize(21);
        }
    }

    @Test
    void appendedSumEqualsTheSumOverTheData() {
        byte[] data = new byte[4096 + 8];
        new java.util.Random(9).nextBytes(data);
        for (java.nio.ByteOrder order : List.of(java.nio.ByteOrder.BIG_ENDIAN, java.nio.ByteOrder.LITTLE_ENDIAN)) {
            WalChecksum direct = new WalChecksum(0x12345678, 0x9abcdef0).update(data, 0, data.length, order);
            WalChecksum tail = new WalChecksum(0, 0).update(data, 8, 4096, order);
            WalChecksum appended = new WalChecksum(0x12345678, 0x9abcdef0).update(data, 0, 8, order).append(tail, WalChecksum.Shift.over(512));
            assertThat(appended.matches(direct.s0(), direct.s1())).as("%s", order).isTrue();
            WalChecksum fromSegment = new WalChecksum(0, 0).update(MemorySegment.ofArray(data), 8, 4096, order);
            assertThat(fromSegment.matches(tail.s0(), tail.s1())).isTrue();
        }
    }

    @Test
    void writeInsideUncommittedFramesRestartsValidation() throws Exception {
        Path walFile = dir.resolve("x.wal");
        Files.write(walFile, new byte[0]);
        try (FileChannel wal = FileChannel.open(walFile, StandardOpenOption.READ)) {
            WalFollower follower = new WalFollower(WalSource.of(wal));
            assertThat(follower.afterWrite(0, MemorySegment.ofArray(new byte[0]))).isEmpty();
            assertThat(follower.active()).isFalse();
        }
    }
}
