package dev.litecluster.store;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The sqlite3 command-line shell, in its own process, as an app would run it. */
final class Sqlite3Cli {
    private Sqlite3Cli() {
    }

    static void run(Path db, String sql) throws Exception {
        Process p = new ProcessBuilder("sqlite3", db.toString(), sql).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as("sqlite3: %s", out).isZero();
    }
}
