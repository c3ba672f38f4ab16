package dev.litecluster.fs;

import dev.litecluster.ltx.Position;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.litecluster.fs.Clients.sqlite3;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A full disk at the worst moment of a rollback-mode commit: its record fits in the log (zeros
 * compress to almost nothing) but its pages no longer fit in the database file. The commit fails,
 * the database refuses writes, and nothing is lost: after space is freed, a restart writes the
 * record from the log into the file, and the log replays to it. The data directory is a small tmpfs.
 */
class FullDiskTest {
    private static final String DB = "app.db";

    @TempDir
    Path root;

    @AfterEach
    void unmount() throws Exception {
        MountedStore.detachIfMounted(root.resolve("mnt"));
        MountedStore.detachIfMounted(root.resolve("data"));
    }

    @Test
    void aCommitWhosePagesDoNotFitIsRepairedFromTheLogAtRestart() throws Exception {
        Path data = root.resolve("data");
        Files.createDirectories(data);
        Clients.run(List.of("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", data.toString()));
        Path filler = data.resolve("filler");
        try (MountedStore node = MountedStore.open(root)) {
            sqlite3(node.db(DB), "PRAGMA journal_mode=DELETE; CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB);"
                    + "INSERT INTO t(v) VALUES ('before');");
            fill(filler, Files.getFileStore(data), 1 << 20);
            Clients.Result commit = Clients.tryRun(List.of("sqlite3", node.db(DB).toString(),
                    "INSERT INTO t(v) VALUES (zeroblob(4000000));"));
            assertThat(commit.exitCode()).as("the commit fails: %s", commit.output()).isNotZero();
            Clients.Result write = Clients.tryRun(List.of("sqlite3", node.db(DB).toString(), "INSERT INTO t(v) VALUES ('after');"));
            assertThat(write.exitCode()).as("later writes are refused: %s", write.output()).isNotZero();
            Files.delete(filler); // the operator frees space, then restarts the node
        }
        Map<String, Position> positions;
        try (MountedStore node = MountedStore.open(root)) {
            assertThat(sqlite3(node.db(DB), "SELECT count(*), max(length(v)) FROM t;"))
                    .as("the logged commit is in the database").isEqualTo("2|4000000\n");
            sqlite3(node.db(DB), "INSERT INTO t(v) VALUES ('after the restart');");
            positions = Oracle.checkMounted(node, DB);
        }
        Oracle.checkReplay(root, positions);
    }

    /** Fills {@code file} until {@code leave} bytes are left free. */
    private static void fill(Path file, FileStore store, long leave) throws IOException {
        byte[] chunk = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(file)) {
            while (store.getUsableSpace() > leave + chunk.length) {
                out.write(chunk);
            }
        }
    }
}
