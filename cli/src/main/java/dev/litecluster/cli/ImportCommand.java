package dev.litecluster.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.io.IOException;
import java.nio.file.Files;
import java.util.concurrent.Callable;

/** {@code litecluster import --name DB FILE}: replaces a database with FILE as one new transaction. */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = "Replace a database on a running node with a SQLite file (validated first, one transaction).")
public final class ImportCommand implements Callable<Integer> {
    @Mixin
    NodeTarget target = new NodeTarget();

    @Mixin
    DatabaseFileArgs args = new DatabaseFileArgs();

    @Override
    public Integer call() {
        return ClientCommands.run(() -> {
            if (!Files.isReadable(args.file)) {
                throw new IOException("cannot read " + args.file);
            }
            try (NodeClient client = target.client()) {
                System.out.print(client.upload(args.path("/import"), args.file));
            }
        });
    }
}
