package dev.litecluster.cli.cluster;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A static-lease cluster of node processes on loopback, in a temp directory: node 1 is the
 * primary, the others its replicas. Also owns every helper process a test spawns, so
 * {@link #close()} (and, if the test JVM dies, a shutdown hook) stops all of them and leaves no
 * mount behind.
 */
final class TestCluster implements AutoCloseable {
    static final String SECRET = "test-secret";
    static final boolean SOAK = "1".equals(System.getenv("LITECLUSTER_SOAK"));

    private final Path root;
    private final List<ClusterNode> nodes = new ArrayList<>();
    private final List<Process> helpers = new ArrayList<>();
    private final Thread cleanupOnExit = new Thread(this::close, "test-cluster-cleanup");

    private TestCluster(Path root) {
        this.root = root;
        Runtime.getRuntime().addShutdownHook(cleanupOnExit);
    }

    /** Starts a primary (with {@code primaryDataOptions}, YAML flow entries for {@code data:}) and replicas. */
    static TestCluster start(Path root, int replicas, String primaryDataOptions) throws IOException, InterruptedException {
        TestCluster cluster = new TestCluster(root);
        try {
            ClusterNode primary = cluster.newNode();
            primary.configure(null, SECRET, primaryDataOptions);
            primary.start();
            cluster.await("node1 to take the static lease", Duration.ofSeconds(30), () -> {
                try {
                    return "primary".equals(primary.role());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            });
            for (int i = 0; i < replicas; i++) {
                cluster.addReplica(primary.url(), SECRET);
            }
            return cluster;
        } catch (IOException | InterruptedException | RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    /** The file's text, or "" while it cannot be read (not written yet). */
    static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "";
        }
    }

    static TestCluster start(Path root, int replicas) throws IOException, InterruptedException {
        return start(root, replicas, "");
    }

    /** Starts one more replica that follows {@code primaryUrl} (the primary, or a proxy in front of it). */
    ClusterNode addReplica(String primaryUrl, String secret) throws IOException, InterruptedException {
        ClusterNode node = newNode();
        node.configure(primaryUrl, secret, "");
        node.start();
        return node;
    }

    private ClusterNode newNode() throws IOException {
        ClusterNode node = new ClusterNode("node" + (nodes.size() + 1), root.resolve("node" + (nodes.size() + 1)), freePort());
        nodes.add(node);
        return node;
    }

    private static String classpath;

    /**
     * The test classpath with every jar copied once into a private directory: node processes start
     * many times during a run, and a concurrent {@code mvn install} must not swap jars under them.
     */
    static synchronized String classpath() throws IOException {
        if (classpath == null) {
            Path copies = Files.createTempDirectory("litecluster-test-classpath-");
            List<String> entries = new ArrayList<>();
            int i = 0;
            for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
                Path path = Path.of(entry);
                if (Files.isRegularFile(path)) {
                    Path copy = copies.resolve((i++) + "-" + path.getFileName());
                    Files.copy(path, copy);
                    copy.toFile().deleteOnExit();
                    entries.add(copy.toString());
                } else {
                    entries.add(entry);
                }
            }
            copies.toFile().deleteOnExit();
            classpath = String.join(java.io.File.pathSeparator, entries);
        }
        return classpath;
    }

    /** The command that starts {@code mainClass} in a new JVM on the test classpath. */
    static List<String> java(String maxHeap, String mainClass, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-Xmx" + maxHeap, "-XX:+UseSerialGC", "-cp", classpath(), mainClass));
        command.addAll(List.of(args));
        return command;
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    ClusterNode primary() {
        return nodes.getFirst();
    }

    List<ClusterNode> replicas() {
        return nodes.subList(1, nodes.size());
    }

    List<ClusterNode> nodes() {
        return List.copyOf(nodes);
    }

    Path root() {
        return root;
    }

    /** Starts a helper process (writer, reader) that {@link #close()} kills if it is still running. */
    Process spawn(List<String> command, Path output) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile())).start();
        synchronized (helpers) {
            helpers.add(process);
        }
        return process;
    }

    /** Waits until every running node shows the primary's position of {@code db}. */
    void awaitConverged(String db, Duration timeout) throws InterruptedException {
        await("all nodes at the primary's position of " + db, timeout, () -> {
            String primary = primary().position(db);
            return primary != null && nodes.stream().filter(ClusterNode::isRunning)
                    .allMatch(n -> primary.equals(n.position(db)));
        });
    }

    /** How many snapshots the primary's log says it sent to {@code replica} since {@code primaryMark}. */
    long snapshotsSentTo(ClusterNode replica, int primaryMark) {
        return primary().logSince(primaryMark).stream()
                .filter(line -> line.contains("sent a snapshot") && line.endsWith(":" + replica.port())).count();
    }

    /** Every node's position of {@code db}, for failure messages. */
    String positions(String db) {
        Map<String, String> positions = new TreeMap<>();
        nodes.forEach(n -> positions.put(n.name(), n.position(db)));
        return positions.toString();
    }

    /** Polls {@code condition} every 50 ms; fails with {@code what} and the node logs' tails after {@code timeout}. */
    void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what + "\n" + logTails());
            }
            Thread.sleep(50);
        }
    }

    String logTails() {
        return nodes.stream().map(n -> {
            List<String> lines = n.logText().lines().toList();
            return "--- " + n + ":\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        }).collect(Collectors.joining("\n"));
    }

    /** Kills helpers, stops every node (SIGTERM, then SIGKILL) and removes any mount left behind. */
    @Override
    public void close() {
        synchronized (helpers) {
            helpers.forEach(Process::destroyForcibly);
            helpers.clear();
        }
        for (ClusterNode node : nodes) {
            try {
                node.stop();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (ClusterNode node : nodes) {
            try {
                node.kill();
                node.unmountIfLeft();
            } catch (IOException | InterruptedException e) {
                System.err.println("cleanup of " + node + ": " + e);
            }
        }
        if (Thread.currentThread() != cleanupOnExit) {
            try {
                Runtime.getRuntime().removeShutdownHook(cleanupOnExit);
            } catch (IllegalStateException e) {
                // already shutting down
            }
        }
    }

    /** Runs a short command to completion and returns its output; fails on a non-zero exit. */
    static String run(List<String> command, Duration timeout) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = process.getInputStream().readAllBytes();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(command + " did not finish in " + timeout);
        }
        String text = new String(out);
        if (process.exitValue() != 0) {
            throw new AssertionError(command + " exited with " + process.exitValue() + ":\n" + text);
        }
        return text;
    }

    static String sqlite3(Path db, String sql) throws IOException, InterruptedException {
        return run(List.of("sqlite3", "-cmd", ".timeout 30000", db.toString(), sql), Duration.ofSeconds(120));
    }

    /**
     * Waits until every running node has the primary's position of {@code db}, then checks that
     * they hold the same database: the same {@code .dump} through each mount, the same page bytes
     * in each data directory (after checkpointing the primary's WAL into its file), and
     * {@code integrity_check} ok on each replica.
     */
    void assertAllEqual(String db, Duration timeout) throws IOException, InterruptedException {
        awaitConverged(db, timeout);
        ClusterNode primary = primary();
        sqlite3(primary.db(db), "PRAGMA wal_checkpoint(TRUNCATE);");
        String dump = sqlite3(primary.db(db), ".dump");
        byte[] pages = Files.readAllBytes(primary.data().resolve("dbs").resolve(db).resolve("database"));
        for (ClusterNode replica : replicas()) {
            if (!replica.isRunning()) {
                continue;
            }
            assertThat(sqlite3(replica.db(db), "PRAGMA integrity_check;"))
                    .as("integrity_check on " + replica).isEqualTo("ok\n");
            assertThat(sqlite3(replica.db(db), ".dump"))
                    .as(".dump on " + replica).isEqualTo(dump);
            assertThat(
                    Files.readAllBytes(replica.data().resolve("dbs").resolve(db).resolve("database")))
                    .as("database file bytes on " + replica).isEqualTo(pages);
            assertThat(replica.position(db)).as("position of " + replica)
                    .isEqualTo(primary.position(db));
        }
    }
}
