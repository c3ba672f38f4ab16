package dev.litecluster.fs;

import dev.litecluster.ltx.Position;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The checks every capture test ends with: in the running mount, each database passes
 * {@code integrity_check} and its {@code -pos} file shows the store's position; after the node has
 * shut down, its log replayed from empty equals the database file and reaches that position.
 */
final class Oracle {
    private Oracle() {
    }

    @FunctionalInterface
    interface Workload {
        void run(MountedStore node) throws Exception;
    }

    /** Mounts a node on {@code root}, runs the workload, and checks {@code databases} as above. */
    static void captureAndVerify(Path root, Workload workload, String... databases) throws Exception {
        Map<String, Position> positions;
        try (MountedStore node = MountedStore.open(root)) {
            workload.run(node);
            positions = checkMounted(node, databases);
        }
        checkReplay(root, positions);
    }

    /** Integrity and position of each database in a running mount; returns their positions. */
    static Map<String, Position> checkMounted(MountedStore node, String... databases) throws Exception {
        Map<String, Position> positions = new LinkedHashMap<>();
        for (String name : databases) {
            assertThat(Clients.sqlite3(node.db(name), "PRAGMA integrity_check;")).as("integrity of %s", name).isEqualTo("ok\n");
            Position position = node.store.get(name).position();
            assertThat(position.txid()).as("%s has captured transactions", name).isPositive();
            assertThat(Files.readString(node.mount.resolve(name + "-pos"))).as("%s-pos", name).isEqualTo(position + "\n");
            positions.put(name, position);
        }
        return positions;
    }

    /** With the node shut down: each database's log replays to its file and to the recorded position. */
    static void checkReplay(Path root, Map<String, Position> positions) throws Exception {
        for (Map.Entry<String, Position> entry : positions.entrySet()) {
            Path dir = MountedStore.databaseDir(root, entry.getKey());
            LogReplay.Replayed replayed = LogReplay.assertReplaysTo(dir.resolve("log"), dir.resolve("database"));
            assertThat(new Position(replayed.txid(), replayed.checksum())).as("replayed position of %s", entry.getKey())
                    .isEqualTo(entry.getValue());
        }
    }
}
