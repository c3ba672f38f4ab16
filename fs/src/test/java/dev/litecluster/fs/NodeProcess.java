package dev.litecluster.fs;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A node serving the mount from its own JVM, so a test can kill it with SIGKILL the way a crash
 * would. The child runs {@link #main}: it mounts {@code <root>/mnt} over {@code <root>/data},
 * prints "ready", and serves until its stdin closes.
 */
final class NodeProcess implements AutoCloseable {
    private static final String READY = "ready";
    private final Process process;

    private NodeProcess(Process process) {
        this.process = process;
    }

    public static void main(String[] args) throws Exception {
        try (MountedStore node = MountedStore.open(Path.of(args[0]))) {
            System.out.println(READY);
            System.out.flush();
            while (System.in.read() >= 0) {
                // serve until the parent closes our stdin (or kills us)
            }
        }
    }

    /** Starts a node on {@code root} and waits until its mount is serving; its log goes to {@code root/node.log}. */
    static NodeProcess start(Path root) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElseThrow());
        command.addAll(List.of("--enable-native-access=ALL-UNNAMED", "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), NodeProcess.class.getName(), root.toString()));
        Path log = root.resolve("node.log");
        Files.createDirectories(root);
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        NodeProcess node = new NodeProcess(process);
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream()));
        String line;
        try {
            line = CompletableFuture.supplyAsync(() -> {
                try {
                    return out.readLine();
                } catch (IOException e) {
                    return null;
                }
            }).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            line = null;
        }
        if (!READY.equals(line)) {
            node.kill();
            throw new IOException("node did not start (" + line + "), see " + log + ":\n" + Files.readString(log));
        }
        return node;
    }

    long pid() {
        return process.pid();
    }

    /** SIGKILL: the node gets no chance to finish anything. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    /** Asks the node to unmount and shut down cleanly. */
    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            process.getOutputStream().close();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                kill();
            }
        }
    }
}
