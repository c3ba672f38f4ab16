package dev.litecluster.cli.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One Litecluster node run as its own JVM ({@code litecluster mount -c FILE} from the test
 * classpath), so a test can SIGKILL it like a crash. Its log lines (every start appended) are in
 * {@code <root>/node.log}; its mount is {@code <root>/mnt}, its data directory {@code <root>/data}.
 */
final class ClusterNode {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final String name;
    private final Path root;
    private final int port;
    private Process process;

    ClusterNode(String name, Path root, int port) {
        this.name = name;
        this.root = root;
        this.port = port;
    }

    String name() {
        return name;
    }

    int port() {
        return port;
    }

    String url() {
        return "http://127.0.0.1:" + port;
    }

    Path mount() {
        return root.resolve("mnt");
    }

    Path data() {
        return root.resolve("data");
    }

    Path config() {
        return root.resolve("litecluster.yml");
    }

    Path log() {
        return root.resolve("node.log");
    }

    /** The mount path of database {@code db}, what apps open. */
    Path db(String db) {
        return mount().resolve(db);
    }

    /** Writes this node's config: the primary when {@code primaryUrl} is null, else a replica of it. */
    void configure(String primaryUrl, String secret, String dataOptions) throws IOException {
        Files.createDirectories(root);
        String lease = primaryUrl == null
                ? "{type: static, candidate: true, hostname: %s, advertise-url: \"%s\"}".formatted(name, url())
                : "{type: static, candidate: false, advertise-url: \"%s\"}".formatted(primaryUrl);
        Files.writeString(config(), """
                fuse: {dir: %s}
                data: {dir: %s%s}
                lease: %s
                http: {addr: "127.0.0.1:%d", secret: %s}
                """.formatted(mount(), data(), dataOptions.isEmpty() ? "" : ", " + dataOptions, lease, port, secret));
    }

    /** Starts the node process and waits until its API answers (the mount is up before the API starts). */
    void start() throws IOException, InterruptedException {
        launch();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!healthy()) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                kill();
                throw new IOException(name + " did not start:\n" + logText());
            }
            Thread.sleep(50);
        }
    }

    /** Starts the node process without waiting for it. */
    void launch() throws IOException {
        if (isRunning()) {
            throw new IllegalStateException(name + " is already running");
        }
        Files.createDirectories(root);
        List<String> command = TestCluster.java("256m", "dev.litecluster.cli.Main", "mount", "-c", config().toString());
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile())).start();
    }

    private boolean healthy() throws InterruptedException {
        try {
            HttpResponse<Void> response = HTTP.send(HttpRequest.newBuilder(URI.create(url() + "/health"))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
            return response.statusCode() == 200;
        } catch (IOException e) {
            return false;
        }
    }

    /** The role {@code /status} reports ("primary", "replica", ...), or null when the API does not answer. */
    String role() throws InterruptedException {
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(url() + "/status"))
                    .header("Authorization", "Bearer " + TestCluster.SECRET).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.ofString());
            var role = java.util.regex.Pattern.compile("\"role\"\\s*:\\s*\"([a-z]+)\"").matcher(response.body());
            return response.statusCode() == 200 && role.find() ? role.group(1) : null;
        } catch (IOException e) {
            return null;
        }
    }

    boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** SIGTERM: the node unmounts and closes its store; SIGKILL if it has not exited after 30 s. */
    void stop() throws InterruptedException {
        if (isRunning()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                kill();
            }
        }
        process = null;
    }

    /**
     * SIGKILL: a crash; the mount is left stale (the next start clears it). A thread of the node
     * that was inside a request to its own mount (replica apply writes through it) keeps the dying
     * process in the kernel until the FUSE connection is aborted: a forced unmount does that.
     */
    void kill() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            if (!process.waitFor(2, TimeUnit.SECONDS)) {
                try {
                    new ProcessBuilder("umount", "-f", "-l", mount().toString()).inheritIO().start().waitFor();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                process.waitFor();
            }
        }
        process = null;
    }

    /** Lazily unmounts a mount the node left behind (killed, or did not shut down). */
    void unmountIfLeft() throws IOException, InterruptedException {
        if (Files.readString(Path.of("/proc/mounts")).contains(" " + mount() + " ")) {
            new ProcessBuilder("umount", "-l", mount().toString()).inheritIO().start().waitFor();
        }
    }

    /** Deletes the data directory (the node must be stopped). */
    void wipeData() throws IOException {
        if (isRunning()) {
            throw new IllegalStateException(name + " must be stopped before its data is wiped");
        }
        try (var files = Files.walk(data())) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** The {@code -pos} file of {@code db} through the mount ({@code TXID/checksum}), or null when absent. */
    String position(String db) {
        try {
            return Files.readString(mount().resolve(db + "-pos")).strip();
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            return null; // a mount going down or coming up
        }
    }

    /** The TXID part of {@link #position}, 0 when absent. */
    long txid(String db) {
        String position = position(db);
        return position == null ? 0 : Long.parseUnsignedLong(position.substring(0, position.indexOf('/')), 16);
    }

    String logText() {
        try {
            return Files.exists(log()) ? Files.readString(log()) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A point in the log to look at later lines from: {@code logSince(mark)}. */
    int logMark() {
        return logText().length();
    }

    List<String> logSince(int mark) {
        return logText().substring(mark).lines().toList();
    }

    @Override
    public String toString() {
        return name + " (" + url() + ")";
    }
}
