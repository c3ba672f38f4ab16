package dev.litecluster.cli.cluster;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** A replica that crashed, lost its data, or stayed away longer than the primary keeps its log. */
class ReplicaRecoveryTest {
    private static final Pattern RETAINED = Pattern.compile("retention deleted .* log now holds txid (\\d+)\\.\\.");

    @TempDir
    Path root;

    @Test
    void killedReplicaCatchesUpFromItsPosition() throws Exception {
        try (TestCluster cluster = TestCluster.start(root, 1)) {
            Bank bank = new Bank(cluster);
            bank.create("WAL");
            ClusterNode replica = cluster.replicas().getFirst();
            cluster.awaitConverged(Bank.DB, Duration.ofSeconds(30));
            Bank.Job writer = bank.pythonWriter(cluster.primary(), Duration.ofSeconds(8), 1);
            cluster.await("the replica applying the writer's transactions", Duration.ofSeconds(20),
                    () -> replica.txid(Bank.DB) > 50);
            replica.kill();
            Thread.sleep(1_500);
            int mark = cluster.primary().logMark();
            replica.start();
            writer.await(Duration.ofSeconds(60));
            cluster.assertAllEqual(Bank.DB, Duration.ofSeconds(60));
            assertThat(cluster.snapshotsSentTo(replica, mark)).as(cluster.primary().logText()).isZero();

            // A second after its last batch the replica syncs its database file; then the apply
            // marker (what recovery writes again after a crash) names nothing.
            bank.sqliteWriter(cluster.primary(), 1, 7).await(Duration.ofSeconds(30));
            Path marker = replica.data().resolve("dbs").resolve(Bank.DB).resolve("applying");
            cluster.await("the replica syncing its database file and clearing the apply marker", Duration.ofSeconds(10),
                    () -> TestCluster.readQuietly(marker).strip().matches("0+"));
        }
    }

    @Test
    void wipedReplicaGetsASnapshot() throws Exception {
        try (TestCluster cluster = TestCluster.start(root, 1)) {
            Bank bank = new Bank(cluster);
            bank.create("DELETE");
            bank.pythonWriter(cluster.primary(), Duration.ofSeconds(2), 1).await(Duration.ofSeconds(60));
            cluster.awaitConverged(Bank.DB, Duration.ofSeconds(30));
            ClusterNode replica = cluster.replicas().getFirst();
            replica.stop();
            replica.wipeData();
            int mark = cluster.primary().logMark();
            replica.start();
            cluster.assertAllEqual(Bank.DB, Duration.ofSeconds(60));
            assertThat(cluster.snapshotsSentTo(replica, mark)).isEqualTo(1);
        }
    }

    @Test
    void replicaAwayLongerThanRetentionGetsASnapshot() throws Exception {
        try (TestCluster cluster = TestCluster.start(root, 1,
                "retention: 2s, retention-monitor-interval: 500ms, segment-age: 1s")) {
            Bank bank = new Bank(cluster);
            bank.create("WAL");
            cluster.awaitConverged(Bank.DB, Duration.ofSeconds(30));
            ClusterNode primary = cluster.primary();
            ClusterNode replica = cluster.replicas().getFirst();
            long had = replica.txid(Bank.DB);
            replica.stop();
            int retentionMark = primary.logMark();
            bank.pythonWriter(primary, Duration.ofSeconds(6), 1).await(Duration.ofSeconds(60));
            cluster.await("retention deleting the records the stopped replica lacks", Duration.ofSeconds(20),
                    () -> primary.logSince(retentionMark).stream().map(RETAINED::matcher).filter(Matcher::find)
                            .anyMatch(m -> Long.parseLong(m.group(1)) > had + 1));
            int mark = primary.logMark();
            replica.start();
            cluster.assertAllEqual(Bank.DB, Duration.ofSeconds(60));
            assertThat(cluster.snapshotsSentTo(replica, mark)).isEqualTo(1);
            assertThat(primary.logSince(mark)).anyMatch(line -> line.contains("before what the log holds: sending a snapshot"));
        }
    }
}
