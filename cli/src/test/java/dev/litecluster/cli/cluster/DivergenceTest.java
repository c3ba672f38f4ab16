package dev.litecluster.cli.cluster;

import dev.litecluster.ltx.LtxDecoder;
import dev.litecluster.ltx.LtxHeader;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 6's divergence proof (real etcd, three candidates): a primary commits transactions no
 * replica receives (both are down), dies, and the others elect a new primary that commits its
 * own. When the old primary rejoins, it takes the new primary's snapshot — and the transactions
 * only it had are in {@code <data>/lost/<db>/<time>.ltx}, named in one log line, not dropped.
 */
class DivergenceTest extends EtcdLeaseTest {
    private static final Duration TTL = Duration.ofSeconds(2);
    private static final int UNREPLICATED = 5;


    @Test
    void anOldPrimaryRejoiningWithTransactionsTheNewOneNeverHadKeepsThemInTheLostDirectory() throws Exception {
        try (LeaseCluster cluster = LeaseCluster.start(root, 3, TTL)) {
            ClusterNode old = cluster.awaitPrimary(Duration.ofSeconds(10));
            Path db = old.db(AckedWriter.DB);
            TestCluster.sqlite3(db, AckedWriter.SCHEMA + "; INSERT INTO acks VALUES (1, 'before');");
            cluster.awaitConverged(AckedWriter.DB, Duration.ofSeconds(30));
            long common = txid(LeaseCluster.position(old, AckedWriter.DB));
            List<ClusterNode> others = cluster.nodes().stream().filter(n -> n != old).toList();

            // The replicas go down (a paused one would still receive into its socket buffers), the primary
            // commits alone and dies; the replicas come back and elect one of them.
            for (ClusterNode replica : others) {
                replica.kill();
            }
            for (int i = 0; i < UNREPLICATED; i++) {
                TestCluster.sqlite3(db, "INSERT INTO acks VALUES (%d, 'only on the old primary');".formatted(100 + i));
            }
            assertThat(txid(LeaseCluster.position(old, AckedWriter.DB))).isEqualTo(common + UNREPLICATED);
            old.kill();
            for (ClusterNode replica : others) {
                replica.unmountIfLeft();
                replica.start();
            }
            ClusterNode next = cluster.awaitPrimary(Duration.ofSeconds(30));
            assertThat(next).isNotEqualTo(old);
            TestCluster.sqlite3(next.db(AckedWriter.DB), "INSERT INTO acks VALUES (200, 'new primary');");

            int mark = old.logMark();
            old.unmountIfLeft();
            old.start();
            cluster.awaitConverged(AckedWriter.DB, Duration.ofSeconds(30));
            assertThat(TestCluster.sqlite3(old.db(AckedWriter.DB), "SELECT group_concat(id) FROM acks;").strip())
                    .as("the old primary now has the new primary's history").isEqualTo("1,200");

            Path lostDir = old.data().resolve("lost").resolve(AckedWriter.DB);
            List<Path> lost;
            try (Stream<Path> files = Files.list(lostDir)) {
                lost = files.filter(p -> p.toString().endsWith(".ltx")).toList();
            }
            assertThat(lost).as("one file of lost transactions").hasSize(1);
            try (InputStream in = Files.newInputStream(lost.getFirst())) {
                LtxDecoder decoder = new LtxDecoder(in);
                LtxHeader header = decoder.header();
                assertThat(header.minTxid()).isEqualTo(common + 1);
                assertThat(header.maxTxid()).isEqualTo(common + UNREPLICATED);
                decoder.verify();
            }
            assertThat(old.logSince(mark)).as("one log line tells the operator")
                    .filteredOn(l -> l.contains("saved to " + lost.getFirst())).hasSize(1);
        }
    }

    private static long txid(String position) {
        return Long.parseLong(position.substring(0, position.indexOf('/')));
    }
}
