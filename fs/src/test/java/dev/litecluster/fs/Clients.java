package dev.litecluster.fs;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Real SQLite clients, each in its own process: the sqlite3 CLI and python3's sqlite3 module. */
final class Clients {
    private Clients() {
    }

    /** Runs {@code sql} in a sqlite3 CLI process on {@code db}; fails the test unless it exits 0. */
    static String sqlite3(Path db, String sql) throws Exception {
        return run(List.of("sqlite3", "-batch", db.toString(), sql));
    }

    /** Runs a python3 script; {@code args} become {@code sys.argv[1:]}. Fails the test unless it exits 0. */
    static String python(String script, Object... args) throws Exception {
        return run(pythonCommand(script, args));
    }

    /** Starts a python3 script in the background; its stdout and stderr go to {@code output}. */
    static Process startPython(Path output, String script, Object... args) throws IOException {
        return new ProcessBuilder(pythonCommand(script, args)).redirectErrorStream(true)
                .redirectOutput(output.toFile()).start();
    }

    static List<String> pythonCommand(String script, Object... args) {
        List<String> command = new ArrayList<>(List.of("python3", "-c", script));
        for (Object arg : args) {
            command.add(arg.toString());
        }
        return command;
    }

    static String run(List<String> command) throws Exception {
        Result result = tryRun(command);
        assertThat(result.exitCode()).as("%s: %s", command.getFirst(), result.output()).isZero();
        return result.output();
    }

    record Result(int exitCode, String output) {
    }

    /** Runs a command to completion (2 minutes at most) and returns its exit code and combined output. */
    static Result tryRun(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError(command.getFirst() + " did not finish: " + out);
        }
        return new Result(p.exitValue(), out);
    }
}
