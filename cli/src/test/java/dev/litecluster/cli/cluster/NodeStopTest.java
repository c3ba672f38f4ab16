package dev.litecluster.cli.cluster;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** SIGTERM reaching a node at any point of its life closes its data directory cleanly. */
class NodeStopTest {
    @TempDir
    Path root;

    /**
     * SIGTERM after the store is open but before the node has finished starting (mount, API, role):
     * the node finishes or undoes its start, then closes the store — no log is left marked open,
     * which would make the next start recover as after a crash.
     */
    @Test
    void sigtermWhileTheNodeStartsClosesTheStore() throws Exception {
        try (TestCluster cluster = TestCluster.start(root, 0)) {
            ClusterNode node = cluster.primary();
            TestCluster.sqlite3(node.db("t.db"), "CREATE TABLE t(x); INSERT INTO t VALUES (1);");
            node.stop();
            assertThat(openLogs(node)).as("logs marked open after a plain stop").isEmpty();

            int mark = node.logMark();
            node.launch();
            cluster.await("the store to be open", Duration.ofSeconds(60),
                    () -> node.logSince(mark).stream().anyMatch(l -> l.contains("database t.db at")));
            List<String> before = node.logSince(mark);
            node.stop();
            assertThat(before).as("SIGTERM came before the node had started")
                    .noneMatch(l -> l.contains("mounted "));
            assertThat(openLogs(node)).as("logs marked open after SIGTERM during the start:\n" + node.logText()).isEmpty();

            node.start();
            assertThat(TestCluster.sqlite3(node.db("t.db"), "SELECT x FROM t;").strip()).isEqualTo("1");
        }
    }

    /** The transaction logs whose open marker is there (removed when a log is closed). */
    private static List<Path> openLogs(ClusterNode node) throws Exception {
        try (Stream<Path> files = Files.walk(node.data())) {
            return files.filter(p -> p.getFileName().toString().equals("open")).toList();
        }
    }
}
