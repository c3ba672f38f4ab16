package dev.litecluster.cli.cluster;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three nodes on loopback (issue 5's proof): writer processes of three kinds on the primary while
 * invariant-checking readers on both replicas; at the end every node holds the same database.
 */
class ReplicationTest {
    private static final Duration WRITING = TestCluster.SOAK ? Duration.ofMinutes(3) : Duration.ofSeconds(8);

    @TempDir
    Path root;

    @ParameterizedTest
    @ValueSource(strings = {"DELETE", "WAL"})
    void replicasSeeOnlyConsistentStatesAndEndEqual(String journalMode) throws Exception {
        try (TestCluster cluster = TestCluster.start(root, 2)) {
            Bank bank = new Bank(cluster);
            bank.create(journalMode);
            List<Bank.Job> readers = new ArrayList<>();
            for (ClusterNode replica : cluster.replicas()) {
                readers.add(bank.reader(replica));
                readers.add(bank.reader(replica));
            }
            List<Bank.Job> writers = bank.allWriters(WRITING, TestCluster.SOAK ? 20_000 : 300);
            for (Bank.Job writer : writers) {
                System.out.println(writer.name() + ": " + writer.await(WRITING.plusMinutes(2)).strip());
            }
            cluster.awaitConverged(Bank.DB, Duration.ofSeconds(60));
            bank.stopReaders();
            for (Bank.Job reader : readers) {
                String out = reader.await(Duration.ofSeconds(30));
                System.out.println(reader.name() + ": " + out.strip());
                // the reader saw the replica move forward many times, never an inconsistent state
                assertThat(out).as(reader.name()).containsPattern("versions=([2-9]|\\d\\d+) ");
            }
            cluster.assertAllEqual(Bank.DB, Duration.ofSeconds(30));
            String count = TestCluster.sqlite3(cluster.primary().db(Bank.DB),
                    "SELECT count(DISTINCT writer) FROM transfers;");
            assertThat(count.strip()).isEqualTo("3");
        }
    }
}
