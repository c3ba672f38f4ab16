package dev.litecluster.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.concurrent.Callable;

/** {@code litecluster export --name DB FILE}: a consistent copy of a database while writers run. */
@Command(name = "export", mixinStandardHelpOptions = true, description = "Copy a database from a running node to FILE.")
public final class ExportCommand implements Callable<Integer> {
    @Mixin
    NodeTarget target = new NodeTarget();

    @Mixin
    DatabaseFileArgs args = new DatabaseFileArgs();

    @Override
    public Integer call() {
        return ClientCommands.run(() -> {
            try (NodeClient client = target.client()) {
                client.download(args.path("/export"), args.file);
                System.out.println("exported " + args.name + " to " + args.file);
            }
        });
    }
}
