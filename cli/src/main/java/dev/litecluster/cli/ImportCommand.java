package dev.litecluster.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code litecluster import --name DB FILE}: replaces a database with FILE as one new transaction. */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = "Replace a database on a running node with a SQLite file (validated first, one transaction).")
public final class ImportCommand implements Callable<Integer> {
    @Mixin
    NodeTarget target = new NodeTarget();

    @Option(names = "--name", required = true, description = "database name")
    String name;

    @Parameters(index = "0", paramLabel = "FILE")
    Path file;

    @Override
    public Integer call() {
        return ClientCommands.run(() -> {
            if (!Files.isReadable(file)) {
                throw new java.io.IOException("cannot read " + file);
            }
            try (NodeClient client = target.client()) {
                System.out.print(client.upload("/import?name=" + URLEncoder.encode(name, StandardCharsets.UTF_8), file));
            }
        });
    }
}
