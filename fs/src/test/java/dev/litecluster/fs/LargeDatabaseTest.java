package dev.litecluster.fs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static dev.litecluster.fs.Clients.sqlite3;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A database larger than 1 GiB holds the lock page (the page at byte 0x40000000), which SQLite never
 * writes and capture must skip. Kept cheap: 64 KiB pages (lock page 16385) and zero-filled blobs,
 * which LZ4 shrinks to almost nothing in the log. The clients run with synchronous=OFF: capture
 * does not depend on fsync, and the disk would otherwise spend most of the minute absorbing 1 GiB.
 */
class LargeDatabaseTest {
    private static final String DB = "big.db";
    private static final int LOCK_PAGE = 0x40000000 / 65536 + 1;
    private static final String NO_SYNC = "PRAGMA synchronous=OFF;";

    @TempDir
    Path root;

    @Test
    void databaseOverOneGibibyteReplaysAroundTheLockPage() throws Exception {
        Oracle.captureAndVerify(root, node -> {
            Path db = node.db(DB);
            sqlite3(db, NO_SYNC + """
                    PRAGMA page_size=65536;
                    PRAGMA journal_mode=DELETE;
                    CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB);
                    INSERT INTO t(v) SELECT zeroblob(64 * 1024 * 1024) FROM generate_series(1, 16);
                    INSERT INTO t(v) VALUES (randomblob(300000));
                    """);
            assertThat(Integer.parseInt(sqlite3(db, "PRAGMA page_count;").trim())).isGreaterThan(LOCK_PAGE);
            // pages on both sides of the lock page change in rollback mode, then in WAL mode
            sqlite3(db, NO_SYNC + "UPDATE t SET v = randomblob(200000) WHERE id IN (1, 17);");
            sqlite3(db, NO_SYNC + "PRAGMA journal_mode=WAL; UPDATE t SET v = randomblob(100000) WHERE id IN (2, 17);"
                    + "DELETE FROM t WHERE id = 16; INSERT INTO t(v) VALUES (randomblob(70000));");
        }, DB);
    }
}
