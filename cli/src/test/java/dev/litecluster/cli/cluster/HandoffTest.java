package dev.litecluster.cli.cluster;

import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 6's handoff proofs on three etcd-lease candidates (real etcd) under write load: {@code POST
 * /handoff} moves the role to the named replica, a primary stopped with SIGTERM hands off to a
 * caught-up candidate, and {@code lease.promote} makes a restarted candidate take over once it has
 * caught up. In each, every write SQLite acknowledged is in the final database on every node; the
 * writer, following the primary, sees no error but SQLITE_BUSY retries and read-only refusals on
 * the node that just stopped being primary.
 */
class HandoffTest extends EtcdLeaseTest {
    /** Long enough that an election after a lease expiry cannot be mistaken for a handoff. */
    private static final Duration TTL = Duration.ofSeconds(10);


    @Test
    void handoffToANamedReplicaDuringWritesLosesNoAcknowledgedTransaction() throws Exception {
        try (LeaseCluster cluster = LeaseCluster.start(root, 3, TTL)) {
            ClusterNode old = cluster.primaryWithAckTable();
            ClusterNode target = cluster.nodes().stream().filter(n -> n != old).toList().getLast();
            AckedWriter writer = new AckedWriter(cluster.nodes()).start();
            try (writer) {
                writer.awaitAcks(200, Duration.ofSeconds(60));
                long before = System.nanoTime();
                HttpResponse<String> answer = LeaseCluster.handOff(old, target);
                long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - before);
                System.out.println("handoff: " + answer.body().strip() + " (request took " + took + " ms)");
                assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
                assertThat(answer.body()).contains("handed off to " + target.name());
                assertThat(LeaseCluster.role(target)).hasValue("primary");
                assertThat(LeaseCluster.role(old)).hasValue("replica");
                awaitWritesOn(writer, target, before);
                System.out.println("longest gap between acknowledged writes around the handoff: "
                        + longestGapMillis(writer.acks(), before) + " ms");
            }
            assertNoAcknowledgedWriteLost(cluster, old, writer.acks());
        }
    }

    @Test
    void aPrimaryStoppedWithSigtermHandsOffToACaughtUpCandidate() throws Exception {
        try (LeaseCluster cluster = LeaseCluster.start(root, 3, TTL)) {
            ClusterNode old = cluster.primaryWithAckTable();
            int mark = old.logMark();
            AckedWriter writer = new AckedWriter(cluster.nodes()).start();
            try (writer) {
                writer.awaitAcks(200, Duration.ofSeconds(60));
                long before = System.nanoTime();
                old.stop();
                ClusterNode next = cluster.awaitPrimary(Duration.ofSeconds(5));
                long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - before);
                assertThat(next).isNotEqualTo(old);
                assertThat(took).as("a new primary well before the %d s TTL could run out", TTL.toSeconds())
                        .isLessThan(TTL.toMillis() / 2);
                awaitLogLine(old, mark, "shutting down: handed off to");
                awaitWritesOn(writer, next, before);
                System.out.println("SIGTERM -> new primary in " + took + " ms; longest gap between acknowledged writes: "
                        + longestGapMillis(writer.acks(), before) + " ms");
            }
            old.start();
            assertNoAcknowledgedWriteLost(cluster, old, writer.acks());
        }
    }

    @Test
    void aRestartedCandidateWithPromoteTakesOverOnceCaughtUp() throws Exception {
        try (LeaseCluster cluster = LeaseCluster.start(root, 3, TTL)) {
            ClusterNode primary = cluster.primaryWithAckTable();
            ClusterNode promoted = cluster.nodes().stream().filter(n -> n != primary).toList().getFirst();
            AckedWriter writer = new AckedWriter(cluster.nodes()).start();
            try (writer) {
                writer.awaitAcks(100, Duration.ofSeconds(60));
                promoted.stop();
                cluster.configure(promoted, true);
                writer.awaitAcks(writer.acks().size() + 100, Duration.ofSeconds(60)); // it restarts behind
                int mark = promoted.logMark();
                long before = System.nanoTime();
                promoted.start();
                cluster.await(promoted, "primary", Duration.ofSeconds(20));
                awaitLogLine(promoted, mark, "promote: handed off to " + promoted.name());
                assertThat(LeaseCluster.role(primary)).hasValue("replica");
                awaitWritesOn(writer, promoted, before);
            }
            assertNoAcknowledgedWriteLost(cluster, primary, writer.acks());
        }
    }

    private static void awaitLogLine(ClusterNode node, int mark, String text) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (node.logSince(mark).stream().noneMatch(l -> l.contains(text))) {
            assertThat(System.nanoTime()).as("%s logged '%s'", node.name(), text).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    private static void awaitWritesOn(AckedWriter writer, ClusterNode node, long after) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (writer.acks().stream().noneMatch(a -> a.nanos() > after && a.node().equals(node.name()))) {
            assertThat(System.nanoTime()).as("writes acknowledged by %s; last errors %s", node.name(), writer.lastErrors())
                    .isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    static long longestGapMillis(List<AckedWriter.Ack> acks, long after) {
        long gap = 0;
        long previous = 0;
        for (AckedWriter.Ack ack : acks) {
            if (previous != 0 && ack.nanos() > after) {
                gap = Math.max(gap, ack.nanos() - previous);
            }
            previous = ack.nanos();
        }
        return TimeUnit.NANOSECONDS.toMillis(gap);
    }

    /** Every node converges, and every acknowledged id is in the final database; the old primary lost nothing. */
    private static void assertNoAcknowledgedWriteLost(LeaseCluster cluster, ClusterNode old, List<AckedWriter.Ack> acks)
            throws Exception {
        cluster.awaitConverged(AckedWriter.DB, Duration.ofSeconds(30));
        ClusterNode primary = cluster.awaitPrimary(Duration.ofSeconds(5));
        Set<Long> stored = AckedWriter.storedIds(primary);
        List<Long> missing = acks.stream().map(AckedWriter.Ack::id).filter(id -> !stored.contains(id)).toList();
        assertThat(acks).isNotEmpty();
        assertThat(missing).as("acknowledged writes missing from the final database").isEmpty();
        assertThat(old.data().resolve("lost")).as("a handoff loses nothing").doesNotExist();
        assertThat(TestCluster.sqlite3(primary.db(AckedWriter.DB), "PRAGMA integrity_check;").strip()).isEqualTo("ok");
    }
}
