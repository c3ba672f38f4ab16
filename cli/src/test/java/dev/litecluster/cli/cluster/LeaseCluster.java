package dev.litecluster.cli.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.litecluster.cluster.lease.EtcdCluster;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Candidate nodes on an etcd lease, each its own process, with a real 3-member etcd cluster on
 * loopback: whichever node holds the lease is primary. {@link #close()} stops the nodes, removes
 * their mounts, and stops etcd (also when the test JVM exits).
 */
final class LeaseCluster implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    private final EtcdCluster etcd;
    private final List<ClusterNode> nodes = new ArrayList<>();
    private final Duration ttl;

    private LeaseCluster(EtcdCluster etcd, Duration ttl) {
        this.etcd = etcd;
        this.ttl = ttl;
    }

    /** Starts etcd and {@code size} candidate nodes with lease TTL {@code ttl}, and waits for a primary. */
    static LeaseCluster start(Path root, int size, Duration ttl) throws IOException, InterruptedException {
        LeaseCluster cluster = new LeaseCluster(EtcdCluster.start(root.resolve("etcd"), 3), ttl);
        try {
            for (int i = 1; i <= size; i++) {
                ClusterNode node = new ClusterNode("node" + i, root.resolve("node" + i), TestCluster.freePort());
                cluster.configure(node);
                cluster.nodes.add(node);
            }
            for (ClusterNode node : cluster.nodes) {
                node.start();
            }
            cluster.awaitPrimary(Duration.ofSeconds(30));
            return cluster;
        } catch (IOException | InterruptedException | RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    private void configure(ClusterNode node) throws IOException {
        Files.createDirectories(node.config().getParent());
        String endpoints = etcd.endpoints().stream().map(e -> "\"" + e + "\"").collect(Collectors.joining(", "));
        Files.writeString(node.config(), """
                fuse: {dir: %s}
                data: {dir: %s}
                lease:
                  type: etcd
                  candidate: true
                  catch-up-wait: 3s
                  hostname: %s
                  advertise-url: "%s"
                  etcd: {endpoints: [%s], key: /litecluster-test/primary, ttl: %ds}
                http: {addr: "127.0.0.1:%d", secret: %s}
                """.formatted(node.mount(), node.data(), node.name(), node.url(), endpoints, ttl.toSeconds(),
                node.port(), TestCluster.SECRET));
    }

    List<ClusterNode> nodes() {
        return List.copyOf(nodes);
    }

    Duration ttl() {
        return ttl;
    }

    /** The node's role from its {@code /status} ("primary", "replica"), or empty when it does not answer. */
    static Optional<String> role(ClusterNode node) {
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(node.url() + "/status"))
                    .header("Authorization", "Bearer " + TestCluster.SECRET).timeout(Duration.ofSeconds(1)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 ? Optional.of(JSON.readTree(response.body()).path("role").asText())
                    : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** The running nodes that say they are primary. */
    List<ClusterNode> primaries() {
        return nodes.stream().filter(ClusterNode::isRunning).filter(n -> role(n).orElse("").equals("primary")).toList();
    }

    /** Waits until exactly one node is primary and returns it. */
    ClusterNode awaitPrimary(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            List<ClusterNode> primaries = primaries();
            if (primaries.size() == 1) {
                return primaries.getFirst();
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no single primary after " + timeout.toSeconds() + " s\n" + logTails());
    }

    /** Waits until every running node shows the same position of {@code db} as the primary. */
    void awaitConverged(String db, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            List<ClusterNode> primaries = primaries();
            if (primaries.size() == 1) {
                String position = primaries.getFirst().position(db);
                if (position != null && nodes.stream().filter(ClusterNode::isRunning)
                        .allMatch(n -> position.equals(n.position(db)))) {
                    return;
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("nodes did not converge on " + db + ": "
                + nodes.stream().map(n -> n.name() + "=" + n.position(db)).toList() + "\n" + logTails());
    }

    /** The pid of a running node's process (found by its config path on the command line). */
    static long pid(ClusterNode node) {
        String config = node.config().toString();
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().arguments().map(args -> List.of(args).contains(config)).orElse(false))
                .findFirst().orElseThrow(() -> new AssertionError(node + " has no process")).pid();
    }

    /** Sends {@code signal} (STOP, CONT) to a node's process. */
    static void signal(ClusterNode node, String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid(node))).inheritIO().start();
        if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IOException("kill -" + signal + " " + node + " failed");
        }
    }

    String logTails() {
        return nodes.stream().map(n -> {
            List<String> lines = n.logText().lines().toList();
            return "--- " + n + ":\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        }).collect(Collectors.joining("\n"));
    }

    @Override
    public void close() {
        for (ClusterNode node : nodes) {
            try {
                if (node.isRunning()) {
                    signal(node, "CONT"); // a test that failed while a node was stopped
                }
            } catch (IOException | InterruptedException | AssertionError e) {
                // not running any more
            }
        }
        for (ClusterNode node : nodes) {
            try {
                node.stop();
                node.unmountIfLeft();
            } catch (IOException | InterruptedException e) {
                System.err.println("cleanup of " + node + ": " + e);
            }
        }
        etcd.close();
    }
}
