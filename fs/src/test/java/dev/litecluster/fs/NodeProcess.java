package dev.litecluster.fs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A node serving the mount from its own JVM, so a test can kill it with SIGKILL the way a crash
 * would. The child runs {@link #main}: it mounts {@code <root>/mnt} over {@code <root>/data},
 * prints "ready" among its log lines, and serves until its stdin closes.
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

    /** Starts a node on {@code root} and waits until its mount is serving; its output goes to {@code root/node.log}. */
    static NodeProcess start(Path root) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElseThrow());
        command.addAll(List.of("--enable-native-access=ALL-UNNAMED", "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), NodeProcess.class.getName(), root.toString()));
        Path log = root.resolve("node.log");
        Files.createDirectories(root);
        Files.deleteIfExists(log);
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        NodeProcess node = new NodeProcess(process);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!Files.readAllLines(log).contains(READY)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                node.kill();
                throw new IOException("node did not start:\n" + Files.readString(log));
            }
            Thread.sleep(20);
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

    /** Shuts the node down cleanly; fails if it does not exit on its own, with status 0, within 30 s. */
    void stopCleanly() throws Exception {
        process.getOutputStream().close();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            kill();
            throw new AssertionError("the node did not stop within 30 s");
        }
        if (process.exitValue() != 0) {
            throw new AssertionError("the node exited with status " + process.exitValue());
        }
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
