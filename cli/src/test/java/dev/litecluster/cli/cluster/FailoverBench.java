package dev.litecluster.cli.cluster;

import dev.litecluster.cluster.lease.EtcdCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Crash failover time (issue 6's benchmark; run by {@code bench/failover/run.sh}, skipped
 * otherwise): three candidates on a real etcd, a writer trying every node in turn; kill -9 of the
 * primary, time until another node acknowledges a write; the killed node rejoins; repeated
 * {@code BENCH_RUNS} times (default 20) for each TTL; then as many handoffs under a writer. Prints the tables.
 */
class FailoverBench {
    @TempDir
    Path root;

    @Test
    void killNineToFirstWriteOnTheNewPrimary() throws Exception {
        assumeTrue("1".equals(System.getenv("LITECLUSTER_BENCH")), "set LITECLUSTER_BENCH=1 (bench/failover/run.sh)");
        assumeTrue(EtcdCluster.available(), "etcd is not installed (scripts/setup installs etcd-server)");
        int runs = Integer.parseInt(System.getenv().getOrDefault("BENCH_RUNS", "20"));
        List<String> rows = new ArrayList<>();
        for (int ttl : new int[] {5, 2}) {
            List<List<Long>> times = measure(root.resolve("ttl" + ttl), Duration.ofSeconds(ttl), runs);
            rows.add(row(ttl + " s: new primary elected (its log)", times.get(0)));
            rows.add(row(ttl + " s: first write acknowledged", times.get(1)));
        }
        System.out.println("\nkill -9 of the primary -> new primary (ms)");
        System.out.println("| lease TTL: measure | runs | min | median | max |");
        System.out.println("|---|---|---|---|---|");
        rows.forEach(System.out::println);
    }

    @Test
    void handoffPauseUnderAWriter() throws Exception {
        assumeTrue("1".equals(System.getenv("LITECLUSTER_BENCH")), "set LITECLUSTER_BENCH=1 (bench/failover/run.sh)");
        assumeTrue(EtcdCluster.available(), "etcd is not installed (scripts/setup installs etcd-server)");
        int runs = Integer.parseInt(System.getenv().getOrDefault("BENCH_RUNS", "20"));
        List<List<Long>> pauses = handoffPauses(root.resolve("handoff"), runs);
        System.out.println("\nhandoff under a writer (ms)");
        System.out.println("| measure | runs | min | median | max |");
        System.out.println("|---|---|---|---|---|");
        System.out.println(row("writes frozen (node's report)", pauses.get(0)));
        System.out.println(row("longest gap between the writer's commits", pauses.get(1)));
    }

    private static String row(String label, List<Long> values) {
        List<Long> sorted = values.stream().sorted().toList();
        return "| %s | %d | %d | %d | %d |".formatted(label, sorted.size(), sorted.getFirst(),
                sorted.get(sorted.size() / 2), sorted.getLast());
    }

    /**
     * Handoffs round the three nodes while a writer (busy_timeout 2 s, following whichever node takes
     * writes) runs: the freeze the primary reports, and the longest gap the writer saw.
     */
    private static List<List<Long>> handoffPauses(Path root, int runs) throws Exception {
        List<Long> frozen = new ArrayList<>();
        List<Long> gaps = new ArrayList<>();
        Pattern paused = Pattern.compile("writes paused (\\d+) ms");
        try (LeaseCluster cluster = LeaseCluster.start(root, 3, Duration.ofSeconds(5))) {
            cluster.primaryWithAckTable();
            try (AckedWriter writer = new AckedWriter(cluster.nodes()).start()) {
                for (int run = 0; run < runs; run++) {
                    ClusterNode primary = cluster.awaitPrimary(Duration.ofSeconds(30));
                    ClusterNode target = cluster.nodes().get((cluster.nodes().indexOf(primary) + 1) % cluster.nodes().size());
                    writer.awaitAcks(writer.acks().size() + 100, Duration.ofSeconds(30));
                    long before = System.nanoTime();
                    HttpResponse<String> answer = LeaseCluster.handOff(primary, target);
                    Matcher m = paused.matcher(answer.body());
                    if (answer.statusCode() != 200 || !m.find()) {
                        System.out.printf("handoff run %d failed: %s%n", run + 1, answer.body().strip());
                        continue;
                    }
                    writer.awaitAcks(writer.acks().size() + 100, Duration.ofSeconds(30));
                    frozen.add(Long.parseLong(m.group(1)));
                    gaps.add(HandoffTest.longestGapMillis(writer.acks(), before));
                    System.out.printf("handoff run %d: %s; writer's longest gap %d ms%n", run + 1, answer.body().strip(), gaps.getLast());
                }
            }
        }
        return List.of(frozen, gaps);
    }

    /**
     * Per run: kill -9 of the primary -> the new primary's "became primary" log line, and -> the first
     * write it acknowledged (the writer also retries through busy timeouts on replicas).
     */
    private static List<List<Long>> measure(Path root, Duration ttl, int runs) throws Exception {
        List<Long> elected = new ArrayList<>();
        List<Long> written = new ArrayList<>();
        try (LeaseCluster cluster = LeaseCluster.start(root, 3, ttl)) {
            cluster.primaryWithAckTable();
            for (int run = 0; run < runs; run++) {
                ClusterNode primary = cluster.awaitPrimary(Duration.ofSeconds(30));
                cluster.awaitConverged(AckedWriter.DB, Duration.ofSeconds(60));
                Map<ClusterNode, Integer> marks = new HashMap<>();
                cluster.nodes().forEach(n -> marks.put(n, n.logMark()));
                try (AckedWriter writer = new AckedWriter(cluster.nodes()).start()) {
                    writer.awaitAcks(50, Duration.ofSeconds(30));
                    LocalTime killedAt = LocalTime.now();
                    long killed = System.nanoTime(); // SIGKILL is sent at once; kill() may wait for a stuck mount
                    primary.kill();
                    long firstWrite = 0;
                    while (firstWrite == 0 && System.nanoTime() - killed < ttl.plusSeconds(30).toNanos()) {
                        firstWrite = writer.acks().stream().filter(a -> a.nanos() > killed && !a.node().equals(primary.name()))
                                .mapToLong(AckedWriter.Ack::nanos).findFirst().orElse(0);
                        Thread.sleep(5);
                    }
                    long writeMillis = firstWrite == 0 ? -1 : TimeUnit.NANOSECONDS.toMillis(firstWrite - killed);
                    long electedMillis = cluster.nodes().stream().filter(n -> n != primary)
                            .flatMap(n -> n.logSince(marks.get(n)).stream())
                            .filter(l -> l.contains("became primary")).map(l -> LocalTime.parse(l.substring(0, 12)))
                            .mapToLong(t -> Duration.between(killedAt, t).toMillis()).min().orElse(-1);
                    System.out.printf("ttl %d s, run %d: elected %d ms, first write %d ms%n", ttl.toSeconds(), run + 1,
                            electedMillis, writeMillis);
                    if (writeMillis >= 0 && electedMillis >= 0) {
                        written.add(writeMillis);
                        elected.add(electedMillis);
                    }
                }
                primary.unmountIfLeft();
                primary.start();
            }
        }
        return List.of(elected, written);
    }
}
