package dev.litecluster.cli.cluster;

import com.fasterxml.jackson.databind.JsonNode;
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
    private Duration catchUpWait = Duration.ofSeconds(3);
    private final Thread cleanupOnExit = new Thread(this::close, "lease-cluster-cleanup");
    private final List<Long> stopped = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final java.util.Map<ClusterNode, List<PartitionProxy>> proxies = new java.util.HashMap<>();

    private LeaseCluster(EtcdCluster etcd, Duration ttl) {
        this.etcd = etcd;
        this.ttl = ttl;
        Runtime.getRuntime().addShutdownHook(cleanupOnExit);
    }

    /** Starts etcd and {@code size} candidate nodes with lease TTL {@code ttl}, and waits for a primary. */
    static LeaseCluster start(Path root, int size, Duration ttl) throws IOException, InterruptedException {
        return start(root, size, ttl, false);
    }

    /**
     * As {@link #start(Path, int, Duration)}; with {@code partitionable}, each node reaches etcd through
     * its own {@link PartitionProxy}s, so that {@link #partitionFromEtcd} can cut it off.
     */
    static LeaseCluster start(Path root, int size, Duration ttl, boolean partitionable) throws IOException, InterruptedException {
        LeaseCluster cluster = new LeaseCluster(EtcdCluster.start(root.resolve("etcd"), 3), ttl);
        try {
            for (int i = 1; i <= size; i++) {
                ClusterNode node = new ClusterNode("node" + i, root.resolve("node" + i), TestCluster.freePort());
                if (partitionable) {
                    List<PartitionProxy> proxies = new ArrayList<>();
                    for (String endpoint : cluster.etcd.endpoints()) {
                        proxies.add(new PartitionProxy(URI.create(endpoint).getPort()));
                    }
                    cluster.proxies.put(node, proxies);
                }
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
        configure(node, false);
    }

    /** Rewrites a (stopped) node's config; {@code promote} sets {@code lease.promote: true}. */
    void configure(ClusterNode node, boolean promote) throws IOException {
        Files.createDirectories(node.config().getParent());
        List<String> urls = proxies.containsKey(node)
                ? proxies.get(node).stream().map(p -> "http://127.0.0.1:" + p.port()).toList() : etcd.endpoints();
        String endpoints = urls.stream().map(e -> "\"" + e + "\"").collect(Collectors.joining(", "));
        Files.writeString(node.config(), """
                fuse: {dir: %s}
                data: {dir: %s}
                lease:
                  type: etcd
                  candidate: true
                  catch-up-wait: %ds
                  promote: %s
                  hostname: %s
                  advertise-url: "%s"
                  etcd: {endpoints: [%s], key: /litecluster-test/primary, ttl: %ds}
                http: {addr: "127.0.0.1:%d", secret: %s}
                """.formatted(node.mount(), node.data(), catchUpWait.toSeconds(), promote, node.name(), node.url(), endpoints, ttl.toSeconds(),
                node.port(), TestCluster.SECRET));
    }

    /** Rewrites every (stopped) node's config with {@code lease.catch-up-wait} = {@code wait}. */
    void catchUpWait(Duration wait) throws IOException {
        catchUpWait = wait;
        for (ClusterNode node : nodes) {
            configure(node);
        }
    }

    List<ClusterNode> nodes() {
        return List.copyOf(nodes);
    }

    Duration ttl() {
        return ttl;
    }

    /** The node's role from its {@code /status} ("primary", "replica"), or empty when it does not answer. */
    static Optional<String> role(ClusterNode node) {
        return status(node).map(status -> status.path("role").asText());
    }

    /**
     * The node's position of {@code db} ({@code txid/checksum}) from its {@code /status}, or null. Read
     * through the API, not the mount's {@code -pos} file: these tests must not add mount traffic.
     */
    static String position(ClusterNode node, String db) {
        return status(node).flatMap(status -> {
            for (JsonNode database : status.path("databases")) {
                if (database.path("name").asText().equals(db)) {
                    return Optional.of(database.path("txid").asLong() + "/" + database.path("checksum").asText());
                }
            }
            return Optional.empty();
        }).orElse(null);
    }

    private static Optional<JsonNode> status(ClusterNode node) {
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(node.url() + "/status"))
                    .header("Authorization", "Bearer " + TestCluster.SECRET).timeout(Duration.ofSeconds(1)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 ? Optional.of(JSON.readTree(response.body())) : Optional.empty();
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

    /** Waits until {@code node} reports {@code role}. */
    void await(ClusterNode node, String role, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!role(node).orElse("").equals(role)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(node + " did not become " + role + " within " + timeout.toSeconds() + " s\n" + logTails());
            }
            Thread.sleep(50);
        }
    }

    /** Waits for the primary, creates {@link AckedWriter}'s table on it, and waits until every node has it. */
    ClusterNode primaryWithAckTable() throws IOException, InterruptedException {
        ClusterNode primary = awaitPrimary(Duration.ofSeconds(30));
        TestCluster.sqlite3(primary.db(AckedWriter.DB), AckedWriter.SCHEMA);
        awaitConverged(AckedWriter.DB, Duration.ofSeconds(30));
        return primary;
    }

    /** Waits until every running node shows the same position of {@code db} as the primary. */
    void awaitConverged(String db, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            List<ClusterNode> primaries = primaries();
            if (primaries.size() == 1) {
                String position = position(primaries.getFirst(), db);
                if (position != null && nodes.stream().filter(ClusterNode::isRunning)
                        .allMatch(n -> position.equals(position(n, db)))) {
                    return;
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("nodes did not converge on " + db + ": "
                + nodes.stream().map(n -> n.name() + "=" + position(n, db)).toList() + "\n" + logTails());
    }

    /** The pid of a running node's process (found by its config path on the command line). */
    static long pid(ClusterNode node) {
        String config = node.config().toString();
        return ProcessHandle.allProcesses().filter(p -> commandLine(p.pid()).contains(config))
                .findFirst().orElseThrow(() -> new AssertionError(node + " has no process")).pid();
    }

    /** The arguments of a process from {@code /proc} (ProcessHandle.Info drops long command lines). */
    private static List<String> commandLine(long pid) {
        try {
            return List.of(new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline"))).split("\0"));
        } catch (IOException e) {
            return List.of();
        }
    }

    /**
     * Sends {@code signal} (STOP, CONT) to process {@code pid}. Look the pid up with {@link #pid}
     * before stopping a node: while its FUSE daemon is stopped, reading other processes' command
     * lines in {@code /proc} can hang on one that waits for the mount.
     */
    /** SIGSTOP: the node is paused, not dead (its sockets stay open; its mount stops answering). */
    long pause(ClusterNode node) throws IOException, InterruptedException {
        return pause(List.of(node)).getFirst();
    }

    /**
     * SIGSTOP of several nodes: every pid is looked up before any node stops; returns once every
     * thread of every node is stopped (kill(2) returns before the signal has reached them all).
     */
    List<Long> pause(List<ClusterNode> nodes) throws IOException {
        List<Long> pids = nodes.stream().map(LeaseCluster::pid).toList();
        for (long pid : pids) {
            stopped.add(pid);
            signal(pid, "STOP");
        }
        for (long pid : pids) {
            awaitAllThreadsStopped(pid);
        }
        return pids;
    }

    private static void awaitAllThreadsStopped(long pid) throws IOException {
        Path tasks = Path.of("/proc/" + pid + "/task");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (true) {
            boolean all;
            try (var threads = Files.list(tasks)) {
                all = threads.allMatch(LeaseCluster::stopped);
            }
            if (all) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("process " + pid + " did not stop within 5 s of SIGSTOP");
            }
            Thread.onSpinWait();
        }
    }

    /** A thread's state in /proc/…/stat (after the parenthesised name): T when stopped; a thread that just exited counts. */
    private static boolean stopped(Path task) {
        try {
            String stat = Files.readString(task.resolve("stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state == 'T' || state == 't' || state == 'Z' || state == 'X';
        } catch (IOException e) {
            return true;
        }
    }

    /** SIGCONT of a node paused by {@link #pause}. */
    void resume(long pid) throws IOException, InterruptedException {
        signal(pid, "CONT");
        stopped.remove(pid);
    }

    static void signal(long pid, String signal) throws IOException {
        int number = switch (signal) {
            case "STOP" -> 19;
            case "CONT" -> 18;
            default -> throw new IllegalArgumentException(signal);
        };
        try {
            // kill(2) directly: forking kill(1) from this JVM can hang while one of its threads waits on a paused mount.
            if ((int) KILL.invokeExact((int) pid, number) != 0) {
                throw new IOException("kill -" + signal + " " + pid + " failed");
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IOException(e);
        }
    }

    private static final java.lang.invoke.MethodHandle KILL = java.lang.foreign.Linker.nativeLinker().downcallHandle(
            java.lang.foreign.Linker.nativeLinker().defaultLookup().find("kill").orElseThrow(),
            java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_INT,
                    java.lang.foreign.ValueLayout.JAVA_INT, java.lang.foreign.ValueLayout.JAVA_INT));

    /** {@code POST /handoff?to=} on {@code primary}: the HTTP status and the report line. */
    static HttpResponse<String> handOff(ClusterNode primary, ClusterNode target) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(primary.url() + "/handoff?to=" + target.name()))
                .header("Authorization", "Bearer " + TestCluster.SECRET).POST(HttpRequest.BodyPublishers.noBody())
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Cuts {@code node} off from every etcd member (it still reaches the other nodes). */
    void partitionFromEtcd(ClusterNode node) {
        proxies.get(node).forEach(PartitionProxy::cut);
    }

    void heal(ClusterNode node) {
        proxies.get(node).forEach(PartitionProxy::heal);
    }

    String logTails() {
        return nodes.stream().map(n -> {
            List<String> lines = n.logText().lines().toList();
            return "--- " + n + ":\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        }).collect(Collectors.joining("\n"));
    }

    @Override
    public synchronized void close() {
        for (long pid : stopped) {
            try {
                signal(pid, "CONT"); // a test that failed while a node was stopped
            } catch (IOException e) {
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
        proxies.values().forEach(list -> list.forEach(PartitionProxy::close));
        etcd.close();
        if (Thread.currentThread() != cleanupOnExit) {
            try {
                Runtime.getRuntime().removeShutdownHook(cleanupOnExit);
            } catch (IllegalStateException e) {
                // already shutting down
            }
        }
    }
}
