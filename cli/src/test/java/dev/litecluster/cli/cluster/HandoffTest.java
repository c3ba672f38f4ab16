package dev.litecluster.cli.cluster;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 6's handoff proofs on three etcd-lease candidates (real etcd) under write load: {@code POST
 * /handoff} moves the role to the named replica, a primary stopped with SIGTERM hands off to a
 * caught-up candidate, and {@code lease.promote} makes a restarted candidate take over once it has
 * caught up. In each, every write SQLite acknowledged is in the final database on every node; the
 * writer, following the primary, sees no error but SQLITE_BUSY retries and read-only refusals on
 * the node that just stopped being primary. A target that refuses the role once writes are frozen
 * leaves it with the primary at once.
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

    /**
     * A primary whose WAL holds transactions that no checkpoint has put into its database file yet (an
     * app connection with autocheckpoint off; the WAL is held in memory, its file empty) hands off:
     * as a replica it writes them into its file with the first batch it applies, so its file ends up
     * byte-equal to the new primary's.
     */
    @Test
    void aHandedOffPrimaryWritesItsUncheckpointedWalTransactionsIntoItsFile() throws Exception {
        String db = "wal.db";
        try (LeaseCluster cluster = LeaseCluster.start(root, 2, TTL)) {
            ClusterNode old = cluster.awaitPrimary(Duration.ofSeconds(30));
            ClusterNode target = cluster.nodes().stream().filter(n -> n != old).toList().getFirst();
            TestCluster.sqlite3(old.db(db), "PRAGMA journal_mode=WAL; CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB);");
            Process app = new ProcessBuilder("python3", "-c", """
                    import sqlite3, sys, time
                    c = sqlite3.connect(sys.argv[1], isolation_level=None)
                    c.execute("PRAGMA wal_autocheckpoint=0")
                    for i in range(200):
                        c.execute("INSERT INTO t(v) VALUES (randomblob(3000))")
                    print("committed", flush=True)
                    time.sleep(600)
                    """, old.db(db).toString()).redirectErrorStream(true).start();
            try {
                assertThat(app.inputReader().readLine()).isEqualTo("committed");
                cluster.awaitConverged(db, Duration.ofSeconds(30));
                assertThat(Files.size(old.data().resolve("dbs").resolve(db).resolve("wal"))).as("the WAL's file").isZero();
                assertThat(LeaseCluster.handOff(old, target).statusCode()).isEqualTo(200);
                TestCluster.sqlite3(target.db(db), "INSERT INTO t(v) VALUES ('after the handoff');");
                cluster.awaitConverged(db, Duration.ofSeconds(30));
            } finally {
                app.destroyForcibly().waitFor();
            }
            TestCluster.sqlite3(target.db(db), "PRAGMA wal_checkpoint(TRUNCATE);");
            assertThat(Files.readAllBytes(old.data().resolve("dbs").resolve(db).resolve("database")))
                    .as("the old primary's database file")
                    .isEqualTo(Files.readAllBytes(target.data().resolve("dbs").resolve(db).resolve("database")));
            assertThat(TestCluster.sqlite3(old.db(db), "SELECT count(*) FROM t; PRAGMA integrity_check;")).isEqualTo("201\nok\n");
        }
    }

    /**
     * The target says it is caught up, then cannot apply the last transaction within its catch-up wait
     * once writes are frozen and the lease was moved to it: a read transaction on the target holds the
     * SHARED lock its apply needs (rollback journal). It answers the frozen {@code /handoff/ready} with
     * a refusal; the primary takes the lease back at once (a new epoch) instead of leaving the cluster
     * without a primary until the lease handed over expires, {@code litecluster handoff} reports the
     * failure, and writes go on on the old primary. A write transaction open on the primary when the
     * handoff starts puts a commit between the two ready checks: the freeze waits for it, and it is
     * committed only once the freeze is seen waiting (a descriptor of the mount's database opened
     * by the primary's process).
     */
    @Test
    void aTargetThatRefusesTheRoleWhileWritesAreFrozenLeavesItWithThePrimary() throws Exception {
        Duration ttl = Duration.ofSeconds(30); // a lease handed over and not taken back would leave no primary this long
        try (LeaseCluster cluster = LeaseCluster.start(root, 3, ttl)) {
            ClusterNode old = cluster.primaryWithAckTable();
            ClusterNode target = cluster.nodes().stream().filter(n -> n != old).toList().getLast();
            List<AckedWriter.Ack> acks = new ArrayList<>();
            AckedWriter before = new AckedWriter(List.of(old)).start();
            try (before) {
                before.awaitAcks(100, Duration.ofSeconds(60));
            }
            acks.addAll(before.acks());
            cluster.awaitConverged(AckedWriter.DB, Duration.ofSeconds(30));
            int oldMark = old.logMark();
            long pid = LeaseCluster.pid(old);
            Path db = old.db(AckedWriter.DB);
            Set<String> openBefore = descriptorsOn(pid, db);
            long pendingId = 1_000_000_000L;
            Path out = root.resolve("handoff.out");
            Path err = root.resolve("handoff.err");
            long started;
            long answered;
            try (Connection reader = DriverManager.getConnection("jdbc:sqlite:" + target.db(AckedWriter.DB));
                 Connection pending = DriverManager.getConnection("jdbc:sqlite:" + db);
                 Statement read = reader.createStatement();
                 Statement write = pending.createStatement()) {
                reader.setAutoCommit(false);
                try (ResultSet rows = read.executeQuery("SELECT count(*) FROM acks")) {
                    assertThat(rows.next()).isTrue(); // the read transaction holds SHARED until it ends
                }
                write.execute("PRAGMA busy_timeout = 5000");
                write.execute("BEGIN IMMEDIATE");
                write.execute("INSERT INTO acks(id, node) VALUES (" + pendingId + ", '" + old.name() + "')");
                started = System.nanoTime();
                Process handoff = new ProcessBuilder(TestCluster.java("64m", "dev.litecluster.cli.Main", "handoff",
                        "-c", old.config().toString(), "--to", target.name()))
                        .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
                try {
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                    while (openBefore.containsAll(descriptorsOn(pid, db))) {
                        assertThat(handoff.isAlive()).as("the handoff waits for the open write transaction: %s",
                                TestCluster.readQuietly(err)).isTrue();
                        assertThat(System.nanoTime()).as("the handoff froze writes").isLessThan(deadline);
                        Thread.sleep(2);
                    }
                    long committing = System.nanoTime();
                    write.execute("COMMIT");
                    acks.add(new AckedWriter.Ack(pendingId, old.name(), committing, System.nanoTime()));
                    assertThat(handoff.waitFor(40, TimeUnit.SECONDS)).as("handoff command finished").isTrue();
                    answered = System.nanoTime();
                } finally {
                    handoff.destroyForcibly();
                }
                String report = Files.readString(err) + Files.readString(out);
                System.out.println("refused handoff: " + report.strip());
                assertThat(handoff.exitValue()).as(report).isEqualTo(1);
                assertThat(report).contains(target.name() + " refused the role, this node keeps it")
                        .contains("not caught up within");
                assertThat(LeaseCluster.role(old)).as("primary again as soon as the refusal came").hasValue("primary");
                reader.commit(); // the target may apply now
            }
            long took = TimeUnit.NANOSECONDS.toMillis(answered - started);
            System.out.println("refused handoff: answered after " + took + " ms, primary again by then");
            assertThat(took).as("the old primary is primary again well before the %d s TTL", ttl.toSeconds())
                    .isLessThan(ttl.toMillis() / 2);
            awaitLogLine(old, oldMark, "took the primary role back");
            assertThat(cluster.awaitPrimary(Duration.ofSeconds(5))).isEqualTo(old);
            AckedWriter after = new AckedWriter(List.of(old)).start();
            try (after) {
                after.awaitAcks(50, Duration.ofSeconds(60));
            }
            acks.addAll(after.acks());
            assertThat(after.acks()).allMatch(a -> a.node().equals(old.name()));
            assertNoAcknowledgedWriteLost(cluster, old, acks);
            assertThat(target.data().resolve("lost")).as("the target diverged in nothing").doesNotExist();
        }
    }

    /** The descriptors of process {@code pid} open on {@code file} (read from /proc: asks nothing of the mount). */
    private static Set<String> descriptorsOn(long pid, Path file) throws IOException {
        Set<String> found = new HashSet<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    if (Files.readSymbolicLink(fd).equals(file)) {
                        found.add(fd.getFileName().toString());
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        }
        return found;
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
