package dev.litecluster.cli.cluster;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A long read transaction on a replica delays apply (which says so in the log) but never breaks it. */
class LongReaderTest {
    @TempDir
    Path root;

    @ParameterizedTest
    @CsvSource({"WAL, WAL READ", "DELETE, EXCLUSIVE"})
    void applyWaitsForTheReaderThenCatchesUp(String journalMode, String lock) throws Exception {
        try (TestCluster cluster = TestCluster.start(root, 1)) {
            Bank bank = new Bank(cluster);
            bank.create(journalMode);
            cluster.awaitConverged(Bank.DB, Duration.ofSeconds(30));
            ClusterNode replica = cluster.replicas().getFirst();
            int mark = replica.logMark();
            Bank.Job reader = bank.holdReadTransaction(replica, Duration.ofSeconds(7));
            cluster.await("the long read transaction to begin", Duration.ofSeconds(30),
                    () -> TestCluster.readQuietly(reader.output()).contains("holding"));
            long before = replica.txid(Bank.DB);
            bank.pythonWriter(cluster.primary(), Duration.ofSeconds(2), 1).await(Duration.ofSeconds(60));
            assertThat(replica.txid(Bank.DB)).as("apply waits for the reader").isLessThanOrEqualTo(before + 1);
            reader.await(Duration.ofSeconds(30));
            cluster.assertAllEqual(Bank.DB, Duration.ofSeconds(60));
            List<String> lines = replica.logSince(mark);
            assertThat(lines).anyMatch(l -> l.contains("apply has waited") && l.contains("the " + lock + " lock"));
            assertThat(lines).anyMatch(l -> l.contains("got the " + lock + " lock after"));
        }
    }
}
