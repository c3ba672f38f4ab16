package dev.litecluster.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A clean restart loads the persisted checksum state and leaves it as it is. */
class RestartTest {
    private static final String NAME = "app.db";

    @TempDir
    Path dir;

    @Test
    void cleanRestartRewritesNoState() throws Exception {
        DatabaseFiles files = new DatabaseFiles(NAME, dir.resolve("dbs").resolve(NAME));
        Files.createDirectories(files.dir());
        Process p = new ProcessBuilder(List.of("sqlite3", files.database().toString(),
                "CREATE TABLE t(v); INSERT INTO t VALUES (1);")).start();
        assertThat(p.waitFor()).isZero();
        try (Store store = Store.open(dir)) {
            assertThat(store.get(NAME).position().txid()).isEqualTo(1);
        }
        Object stateFile = Files.readAttributes(files.state(), BasicFileAttributes.class).fileKey();
        try (Store store = Store.open(dir)) {
            assertThat(store.get(NAME).position().txid()).isEqualTo(1);
            assertThat(Files.readAttributes(files.state(), BasicFileAttributes.class).fileKey())
                    .as("the state file (rewritten = a new inode)").isEqualTo(stateFile);
        }
    }
}
