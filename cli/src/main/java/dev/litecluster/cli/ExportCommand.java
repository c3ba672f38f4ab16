package dev.litecluster.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code litecluster export --name DB FILE}: a consistent copy of a database while writers run. */
@Command(name = "export", mixinStandardHelpOptions = true, description = "Copy a database from a running node to FILE.")
public final class ExportCommand implements Callable<Integer> {
    @Mixin
    NodeTarget target = new NodeTarget();

    @Option(names = "--name", required = true, description = "database name")
    String name;

    @Parameters(index = "0", paramLabel = "FILE")
    Path file;

    @Override
    public Integer call() {
        return ClientCommands.run(() -> {
            try (NodeClient client = target.client()) {
                client.download("/export?name=" + URLEncoder.encode(name, StandardCharsets.UTF_8), file);
                System.out.println("exported " + name + " to " + file);
            }
        });
    }
}
