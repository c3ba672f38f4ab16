package dev.litecluster.cluster.lease;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real etcd cluster of {@code size} members on loopback, for tests: {@code etcd} from the
 * machine ({@code scripts/setup} installs Debian's etcd-server; nothing is installed here), ports
 * chosen free, data in a temp directory, every process stopped by its pid on {@link #close()} or
 * when the test JVM exits.
 */
public final class EtcdCluster implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    private final Path root;
    private final List<Member> members = new ArrayList<>();
    private final Thread cleanupOnExit = new Thread(this::close, "etcd-cleanup");

    private static final class Member {
        final String name;
        final int clientPort;
        final int peerPort;
        Process process;

        Member(String name, int clientPort, int peerPort) {
            this.name = name;
            this.clientPort = clientPort;
            this.peerPort = peerPort;
        }

        String name() {
            return name;
        }

        String clientUrl() {
            return "http://127.0.0.1:" + clientPort;
        }

        String peerUrl() {
            return "http://127.0.0.1:" + peerPort;
        }
    }

    private EtcdCluster(Path root) {
        this.root = root;
    }

    /** Starts the members in {@code root} and waits until every one reports healthy. */
    public static EtcdCluster start(Path root, int size) throws IOException, InterruptedException {
        EtcdCluster cluster = new EtcdCluster(root);
        Runtime.getRuntime().addShutdownHook(cluster.cleanupOnExit);
        try {
            for (int i = 1; i <= size; i++) {
                cluster.members.add(new Member("etcd" + i, freePort(), freePort()));
            }
            for (Member member : cluster.members) {
                cluster.launch(member, "new");
            }
            cluster.awaitHealthy(Duration.ofSeconds(30));
            return cluster;
        } catch (IOException | InterruptedException | RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    /** True when an {@code etcd} binary is on the PATH. */
    public static boolean available() {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
                .anyMatch(dir -> Files.isExecutable(Path.of(dir, "etcd")));
    }

    private void launch(Member member, String state) throws IOException {
        String initial = members.stream().map(m -> m.name() + "=" + m.peerUrl()).collect(Collectors.joining(","));
        Path data = root.resolve(member.name());
        Files.createDirectories(data);
        member.process = new ProcessBuilder("etcd",
                "--name", member.name(),
                "--data-dir", data.resolve("data").toString(),
                "--listen-client-urls", member.clientUrl(),
                "--advertise-client-urls", member.clientUrl(),
                "--listen-peer-urls", member.peerUrl(),
                "--initial-advertise-peer-urls", member.peerUrl(),
                "--initial-cluster", initial,
                "--initial-cluster-state", state,
                "--initial-cluster-token", "litecluster-test",
                "--log-level", "warn")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(data.resolve("etcd.log").toFile()))
                .start();
    }

    /** The client URLs of all members, what {@code lease.etcd.endpoints} lists. */
    public List<String> endpoints() {
        return members.stream().map(Member::clientUrl).toList();
    }

    /** Waits until every running member answers {@code /health} with true. */
    public void awaitHealthy(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Member member : members) {
            while (!healthy(member)) {
                Process process = member.process;
                if (process == null || !process.isAlive() || System.nanoTime() > deadline) {
                    throw new IOException(member.name() + " is not healthy:\n" + log(member));
                }
                Thread.sleep(100);
            }
        }
    }

    private static boolean healthy(Member member) throws InterruptedException {
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(member.clientUrl() + "/health"))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 && response.body().contains("\"true\"");
        } catch (IOException e) {
            return false;
        }
    }

    private String log(Member member) {
        try {
            Path log = root.resolve(member.name()).resolve("etcd.log");
            return Files.exists(log) ? Files.readString(log) : "(no log)";
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** Stops every member: SIGTERM, then SIGKILL after 5 s; deletes nothing (the temp dir owner does). */
    @Override
    public synchronized void close() {
        for (Member member : members) {
            Process process = member.process;
            if (process == null) {
                continue;
            }
            ProcessHandle.of(process.pid()).ifPresent(ProcessHandle::destroy);
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    ProcessHandle.of(process.pid()).ifPresent(ProcessHandle::destroyForcibly);
                    process.waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            member.process = null;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(cleanupOnExit);
        } catch (IllegalStateException e) {
            // already shutting down: this is the hook
        }
    }
}
