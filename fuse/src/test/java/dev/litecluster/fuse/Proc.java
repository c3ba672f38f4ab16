package dev.litecluster.fuse;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs client processes (python3, sqlite3, child JVMs) for tests, always with a deadline. */
public final class Proc {
    public record Result(int exit, String out, String err) {
        public Result ok() {
            if (exit != 0) throw new AssertionError("exit " + exit + "\nstdout: " + out + "\nstderr: " + err);
            return this;
        }
    }

    private Proc() {}

    public static Process start(List<String> cmd) throws IOException {
        return new ProcessBuilder(cmd).start();
    }

    public static Result run(Duration timeout, String... cmd) throws IOException, InterruptedException {
        return finish(start(List.of(cmd)), timeout);
    }

    /** Runs a python3 script given as text, with arguments. */
    public static Result python(Duration timeout, String script, Object... args) throws IOException, InterruptedException {
        return finish(startPython(script, args), timeout);
    }

    public static Process startPython(String script, Object... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("python3", "-c", script));
        for (Object a : args) cmd.add(String.valueOf(a));
        return start(cmd);
    }

    public static Result finish(Process p, Duration timeout) throws InterruptedException {
        CompletableFuture<String> out = drain(p.getInputStream());
        CompletableFuture<String> err = drain(p.getErrorStream());
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("process timed out: " + p.info().commandLine().orElse("?"));
        }
        return new Result(p.exitValue(), out.join(), err.join());
    }

    /** Reads a child's pipe to the end on a virtual thread, so a chatty child never blocks. */
    public static CompletableFuture<String> drain(InputStream in) {
        CompletableFuture<String> text = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (in) {
                text.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                text.complete("");
            }
        });
        return text;
    }

    /** Starts {@link PassthroughMain} in a child JVM with this JVM's java and classpath; waits for "MOUNTED". */
    public static Process startMountJvm(Path backing, Path mountPoint, String... options) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                PassthroughMain.class.getName(), backing.toString(), mountPoint.toString()));
        cmd.addAll(List.of(options));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        var reader = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = reader.readLine()) != null) {
            if (line.equals("MOUNTED")) {
                drain(p.getInputStream());
                return p;
            }
        }
        p.destroyForcibly();
        throw new IOException("child JVM exited before mounting (exit " + p.exitValue() + ")");
    }
}
