package dev.litecluster.cli.cluster;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** What reaches a replica is wrong: a corrupted record on the wire, the wrong cluster secret, another cluster. */
class ReplicaFaultsTest {
    @TempDir
    Path root;

    @Test
    void corruptRecordIsRejectedAndReceivedAgain() throws Exception {
        try (TestCluster cluster = TestCluster.start(root, 0);
             CorruptingProxy proxy = CorruptingProxy.start(cluster.primary().port(), Bank.DB)) {
            Bank bank = new Bank(cluster);
            bank.create("WAL");
            ClusterNode replica = cluster.addReplica(proxy.url(), TestCluster.SECRET);
            cluster.awaitConverged(Bank.DB, Duration.ofSeconds(30));
            int primaryMark = cluster.primary().logMark();
            int replicaMark = replica.logMark();
            proxy.armOnce();
            Bank.Job writer = bank.pythonWriter(cluster.primary(), Duration.ofSeconds(4), 1);
            assertThat(proxy.awaitFlipped(Duration.ofSeconds(20))).as("a record was corrupted").isTrue();
            writer.await(Duration.ofSeconds(60));
            cluster.assertAllEqual(Bank.DB, Duration.ofSeconds(60));
            List<String> lines = replica.logSince(replicaMark);
            assertThat(lines.stream().filter(l -> l.contains("rejected a corrupt record of bank.db"))).hasSize(1);
            assertThat(lines).noneMatch(l -> l.contains("diverged") || l.contains("ERROR"));
            assertThat(cluster.snapshotsSentTo(replica, primaryMark)).as("resumed from its position").isZero();
        }
    }

    @Test
    void wrongSecretIsOneClearLineAndNothingIsApplied() throws Exception {
        try (TestCluster cluster = TestCluster.start(root, 0)) {
            new Bank(cluster).create("DELETE");
            ClusterNode replica = cluster.addReplica(cluster.primary().url(), "not-the-secret");
            Thread.sleep(5_000); // several reconnection attempts
            List<String> refusals = replica.logText().lines().filter(l -> l.contains("(HTTP 401)")).toList();
            assertThat(refusals).hasSize(1);
            assertThat(refusals.getFirst()).contains("refused").contains("secret");
            assertThat(Files.exists(replica.db(Bank.DB))).isFalse();
            assertThat(replica.data().resolve("dbs").toFile().list()).isEmpty();
        }
    }

    @Test
    void aReplicaOfAnotherClusterIsRefusedWithOneClearLineAndKeepsItsData() throws Exception {
        try (TestCluster first = TestCluster.start(root.resolve("first"), 0);
             TestCluster second = TestCluster.start(root.resolve("second"), 1)) {
            TestCluster.sqlite3(first.primary().db("one.db"), "CREATE TABLE t(x); INSERT INTO t VALUES ('first');");
            TestCluster.sqlite3(second.primary().db("one.db"), "CREATE TABLE t(x); INSERT INTO t VALUES ('second');");
            second.awaitConverged("one.db", Duration.ofSeconds(30));
            ClusterNode stray = second.replicas().getFirst();
            String before = stray.position("one.db");
            stray.stop();
            stray.configure(first.primary().url(), TestCluster.SECRET, ""); // pointed at the wrong primary
            int primaryMark = first.primary().logMark();
            int strayMark = stray.logMark();
            stray.start();
            Thread.sleep(5_000); // several reconnection attempts
            List<String> refusals = stray.logSince(strayMark).stream().filter(l -> l.contains("(HTTP 409)")).toList();
            assertThat(refusals).hasSize(1);
            assertThat(refusals.getFirst()).contains("belongs to cluster").contains("this primary to cluster");
            assertThat(first.primary().logSince(primaryMark).stream().filter(l -> l.contains("refused replica"))).hasSize(1);
            assertThat(stray.position("one.db")).as("its data is untouched").isEqualTo(before);
            assertThat(TestCluster.sqlite3(stray.db("one.db"), "SELECT x FROM t;").strip()).isEqualTo("second");
        }
    }
}
