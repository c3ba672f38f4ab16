package dev.litecluster.cli.cluster;

import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 6's proof: three candidate nodes on an etcd lease (real 3-member etcd on loopback) under
 * write load. A crashed primary is replaced within the TTL plus a small margin; a paused primary
 * resumed after its TTL accepts not a single write.
 */
class FailoverTest extends EtcdLeaseTest {
    private static final Duration TTL = Duration.ofSeconds(2);
    /** Detection (etcd expires leases on its own tick), the nodes' 100 ms lease poll, the writer's retry. */
    private static final Duration MARGIN = Duration.ofMillis(1500);
    /**
     * The bound this test holds failover to: the TTL and margin, plus slack for a CI machine running
     * other tests at once (3.58 s was seen under a load of 17 on 2 cores). It proves the takeover
     * comes from the lease running out, not from a slower path; bench/run failover measures the time.
     */
    private static final Duration FAILOVER_BOUND = TTL.plus(MARGIN).plusSeconds(2);


    @Test
    void killNineOfThePrimaryUnderWritesFailsOverWithinTheTtlAndTheOldPrimaryRejoinsAsReplica() throws Exception {
        try (LeaseCluster cluster = LeaseCluster.start(root, 3, TTL)) {
            ClusterNode primary = cluster.primaryWithAckTable();
            try (AckedWriter writer = new AckedWriter(cluster.nodes()).start()) {
                writer.awaitAcks(100, Duration.ofSeconds(30));
                Thread.sleep(500);
                primary.kill();
                long killed = System.nanoTime();
                long firstWrite = awaitWriteAfter(writer, killed, primary.name(), TTL.plus(MARGIN).plusSeconds(5), cluster);
                long failoverMillis = TimeUnit.NANOSECONDS.toMillis(firstWrite - killed);
                System.out.println("kill -9 -> first write on the new primary: " + failoverMillis + " ms");
                assertThat(failoverMillis).as("failover time").isLessThanOrEqualTo(FAILOVER_BOUND.toMillis());
                ClusterNode next = cluster.awaitPrimary(Duration.ofSeconds(5));
                assertThat(next).isNotEqualTo(primary);
                primary.unmountIfLeft();
                primary.start();
                Thread.sleep(1000);
            }
            cluster.awaitConverged(AckedWriter.DB, Duration.ofSeconds(30));
            assertThat(LeaseCluster.role(primary)).as("the killed node rejoined").hasValue("replica");
            assertThat(cluster.primaries()).hasSize(1);
        }
    }

    /**
     * The replica that takes over has an apply waiting behind a long read transaction, holding its
     * database's lock. Leaving the replica role stops that wait at once, and the records it never
     * wrote are dropped at the first capture. Before, the takeover waited 5 s for the apply thread,
     * which then failed only because its descriptors were closed under it.
     */
    @Test
    void aReplicaWhoseApplyWaitsForAReaderTakesOverAndTakesWrites() throws Exception {
        try (LeaseCluster cluster = LeaseCluster.start(root, 2, TTL)) {
            ClusterNode old = cluster.primaryWithAckTable();
            ClusterNode next = cluster.nodes().stream().filter(n -> n != old).findFirst().orElseThrow();
            // WAL: the apply then resets the replica's WAL through the mount, which, on a primary, takes the database's lock.
            TestCluster.sqlite3(old.db(AckedWriter.DB), "PRAGMA journal_mode=WAL;");
            try (AckedWriter writer = new AckedWriter(List.of(old)).start()) {
                writer.awaitAcks(50, Duration.ofSeconds(30));
            }
            cluster.awaitConverged(AckedWriter.DB, Duration.ofSeconds(30));
            int mark = next.logMark();
            long tookOver;
            try (Connection reader = DriverManager.getConnection("jdbc:sqlite:" + next.db(AckedWriter.DB));
                 Statement read = reader.createStatement()) {
                reader.setAutoCommit(false);
                try (ResultSet rows = read.executeQuery("SELECT count(*) FROM acks")) {
                    assertThat(rows.next()).isTrue(); // the read transaction holds SHARED until it ends
                }
                try (AckedWriter writer = new AckedWriter(List.of(old)).start()) {
                    writer.awaitAcks(20, Duration.ofSeconds(30));
                }
                Thread.sleep(1000); // the replica's apply of those is now waiting for the reader's lock
                old.kill();
                long killed = System.nanoTime();
                cluster.await(next, "primary", TTL.plusSeconds(20));
                tookOver = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
                reader.commit();
            }
            try (AckedWriter writer = new AckedWriter(List.of(next)).start()) {
                writer.awaitAcks(20, Duration.ofSeconds(30));
            }
            assertThat(TestCluster.sqlite3(next.db(AckedWriter.DB), "PRAGMA integrity_check;").strip()).isEqualTo("ok");
            System.out.println("kill -9 -> the replica with a waiting apply is primary: " + tookOver + " ms");
            assertThat(next.logSince(mark)).as("the apply stopped with the replica role").noneMatch(l -> l.contains("did not stop"));
            assertThat(tookOver).as("takeover time").isLessThanOrEqualTo(FAILOVER_BOUND.toMillis());
        }
    }

    @Test
    void aPausedPrimaryResumedAfterItsTtlAcceptsNoWrite() throws Exception {
        try (LeaseCluster cluster = LeaseCluster.start(root, 3, TTL)) {
            ClusterNode old = cluster.primaryWithAckTable();
            List<ClusterNode> others = cluster.nodes().stream().filter(n -> n != old).toList();
            long stoppedAt;
            long resumedAt;
            AckedWriter toOld = new AckedWriter(List.of(old)).start();
            AckedWriter toOthers = new AckedWriter(others).start();
            try (toOld; toOthers) {
                toOld.awaitAcks(100, Duration.ofSeconds(30));
                Thread.sleep(500);
                long pid = cluster.pause(old);
                stoppedAt = System.nanoTime();
                try {
                    long deadline = System.nanoTime() + TTL.plus(MARGIN).plusSeconds(10).toNanos();
                    while (others.stream().noneMatch(n -> LeaseCluster.role(n).orElse("").equals("primary"))) {
                        assertThat(System.nanoTime()).as("another node became primary").isLessThan(deadline);
                        Thread.sleep(50);
                    }
                    Thread.sleep(1000); // the new primary takes writes while the old one is still paused
                } finally {
                    cluster.resume(pid);
                    resumedAt = System.nanoTime();
                }
                Thread.sleep(3000); // the resumed node's pending and new writes must all fail
                // Every transaction sent after the stop reached the node only after it could run again, past its
                // lease: each must have been refused (fenced). The one in flight at the stop may have passed the
                // fence check just before it and be answered after the resume, like an answer delayed on the wire.
                List<AckedWriter.Ack> late = toOld.acks().stream().filter(a -> a.began() > stoppedAt).toList();
                assertThat(late).as("writes sent to the paused primary and acknowledged after it was resumed").isEmpty();
                assertThat(toOld.lastErrors()).as("the resumed node refused writes").containsKey(old.name());
                System.out.printf("commits in flight at the stop, answered after it: %d%n",
                        toOld.acks().stream().filter(a -> a.nanos() > stoppedAt).count());
                assertThat(toOthers.acks()).as("the new primary took writes").isNotEmpty();
            }
            cluster.awaitConverged(AckedWriter.DB, Duration.ofSeconds(30));
            ClusterNode primary = cluster.awaitPrimary(Duration.ofSeconds(5));
            Set<Long> stored = AckedWriter.storedIds(primary);
            List<Long> missing = toOthers.acks().stream().map(AckedWriter.Ack::id).filter(id -> !stored.contains(id)).toList();
            assertThat(missing).as("writes the new primary acknowledged but lost").isEmpty();
            // The old primary's acknowledged writes are all there but for any it had not streamed yet when it
            // was stopped (asynchronous replication: those are kept in <data>/lost, not acknowledged after the fence).
            long lostAsync = toOld.acks().stream().filter(a -> !stored.contains(a.id())).count();
            System.out.printf("paused %d ms; %d rows in the final database; old primary: %d acknowledged, %d not replicated before the pause%n",
                    TimeUnit.NANOSECONDS.toMillis(resumedAt - stoppedAt), stored.size(), toOld.acks().size(), lostAsync);
            assertThat(LeaseCluster.role(old)).as("the resumed node follows").hasValue("replica");
        }
    }

    /**
     * A network partition between the primary and etcd (bytes stop flowing, nothing is reset; the
     * nodes still reach each other): the cut-off primary fences itself before its lease can expire,
     * another node takes over, and no write is acknowledged by both sides at once — every write the
     * old primary acknowledged happened before the new primary's first. After the partition heals,
     * the old primary follows the new one.
     */
    @Test
    void aPrimaryCutOffFromEtcdStopsWritingBeforeAnotherNodeStarts() throws Exception {
        try (LeaseCluster cluster = LeaseCluster.start(root, 3, TTL, true)) {
            ClusterNode old = cluster.primaryWithAckTable();
            List<ClusterNode> others = cluster.nodes().stream().filter(n -> n != old).toList();
            AckedWriter toOld = new AckedWriter(List.of(old)).start();
            AckedWriter toOthers = new AckedWriter(others).start();
            long cutAt;
            try (toOld; toOthers) {
                toOld.awaitAcks(100, Duration.ofSeconds(30));
                cluster.partitionFromEtcd(old);
                cutAt = System.nanoTime();
                long firstNew = awaitWriteAfter(toOthers, cutAt, old.name(), TTL.plus(MARGIN).plusSeconds(10), cluster);
                Thread.sleep(2000); // both sides keep trying to write
                long lastOld = toOld.acks().stream().mapToLong(AckedWriter.Ack::nanos).max().orElseThrow();
                System.out.printf("partition: old primary's last write %d ms after the cut, new primary's first %d ms after%n",
                        TimeUnit.NANOSECONDS.toMillis(lastOld - cutAt), TimeUnit.NANOSECONDS.toMillis(firstNew - cutAt));
                assertThat(lastOld).as("the cut-off primary stopped before the new one started (no split brain)")
                        .isLessThan(firstNew);
                assertThat(TimeUnit.NANOSECONDS.toMillis(lastOld - cutAt)).as("fenced within its TTL")
                        .isLessThan(TTL.toMillis());
                cluster.heal(old);
            }
            cluster.awaitConverged(AckedWriter.DB, Duration.ofSeconds(30));
            assertThat(LeaseCluster.role(old)).as("the old primary follows after the partition heals").hasValue("replica");
            ClusterNode primary = cluster.awaitPrimary(Duration.ofSeconds(5));
            Set<Long> stored = AckedWriter.storedIds(primary);
            assertThat(toOthers.acks().stream().map(AckedWriter.Ack::id).filter(id -> !stored.contains(id)).toList())
                    .as("writes the new primary acknowledged but lost").isEmpty();
        }
    }

    /**
     * The Fly autostop hazard: every node stops (crashes), and a stale candidate starts first. It
     * must leave the lease to the candidate with newer data (known from the member list it kept),
     * so that nothing committed is discarded.
     */
    @Test
    void afterAFullStopAStaleCandidateLeavesTheLeaseToOneWithNewerData() throws Exception {
        try (LeaseCluster cluster = LeaseCluster.start(root, 3, TTL)) {
            ClusterNode primary = cluster.primaryWithAckTable();
            Thread.sleep(3_000); // every node learns the member list from the primary
            List<ClusterNode> replicas = cluster.nodes().stream().filter(n -> n != primary).toList();
            ClusterNode stale = replicas.get(0);
            ClusterNode fresh = replicas.get(1);
            stale.kill();
            for (int i = 1; i <= 20; i++) {
                TestCluster.sqlite3(primary.db(AckedWriter.DB), "INSERT INTO acks VALUES (%d, 'late');".formatted(i));
            }
            cluster.awaitConverged(AckedWriter.DB, Duration.ofSeconds(30));
            primary.kill();
            fresh.kill();
            Thread.sleep(TTL.plusSeconds(1).toMillis()); // the lease expires
            cluster.catchUpWait(Duration.ofSeconds(10));
            int mark = stale.logMark();
            for (ClusterNode node : List.of(stale, fresh)) {
                node.unmountIfLeft();
                node.start(); // the stale one first
            }
            cluster.await(fresh, "primary", Duration.ofSeconds(30));
            assertThat(stale.logSince(mark)).as("the stale candidate says why it waits")
                    .anyMatch(l -> l.contains("leaving the lease to candidates with newer data") && l.contains(fresh.name()));
            cluster.awaitConverged(AckedWriter.DB, Duration.ofSeconds(30));
            assertThat(TestCluster.sqlite3(stale.db(AckedWriter.DB), "SELECT count(*) FROM acks;").strip()).isEqualTo("20");
            assertThat(stale.data().resolve("lost")).doesNotExist();
            assertThat(fresh.data().resolve("lost")).doesNotExist();
        }
    }

    /** Waits for the first write acknowledged after {@code after} by a node other than {@code not}; returns its time. */
    private static long awaitWriteAfter(AckedWriter writer, long after, String not, Duration timeout, LeaseCluster cluster)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (AckedWriter.Ack ack : writer.acks()) {
                if (ack.nanos() > after && !ack.node().equals(not)) {
                    return ack.nanos();
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no node accepted a write within " + timeout.toSeconds() + " s of the crash: "
                + writer.lastErrors() + "\n" + cluster.logTails());
    }
}
