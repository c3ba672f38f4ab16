package dev.litecluster.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.litecluster.cluster.NodeStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.concurrent.Callable;

/** {@code litecluster status}: the node's role and the position of each database, as a table. */
@Command(name = "status", mixinStandardHelpOptions = true, description = "Show a node's role and database positions.")
public final class StatusCommand implements Callable<Integer> {
    @Mixin
    NodeTarget target = new NodeTarget();

    @Override
    public Integer call() throws Exception {
        return ClientCommands.run(() -> {
            try (NodeClient client = target.client()) {
                NodeStatus status = new ObjectMapper().readValue(client.get("/status"), NodeStatus.class);
                System.out.printf("%-20s %-8s %-16s %8s  %s%n", "NODE", "ROLE", "DATABASE", "TXID", "CHECKSUM");
                if (status.databases().isEmpty()) {
                    System.out.printf("%-20s %-8s %-16s%n", status.hostname(), status.role(), "-");
                }
                for (NodeStatus.DatabaseStatus db : status.databases()) {
                    System.out.printf("%-20s %-8s %-16s %8d  %s%n", status.hostname(), status.role(), db.name(),
                            db.txid(), db.checksum());
                }
            }
        });
    }
}
