package dev.litecluster.cli;

import dev.litecluster.cluster.NodeStatus;
import dev.litecluster.cluster.PeerStatus;
import dev.litecluster.ltx.Position;
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
                NodeStatus status = client.status();
                if (status.clusterId() != null) {
                    System.out.println("cluster " + status.clusterId());
                }
                System.out.printf("%-24s %-8s %-16s %10s  %s%n", "NODE", "ROLE", "DATABASE", "TXID", "LAG");
                String lag = status.role().equals("primary") ? "-"
                        : status.primary() == null ? "not connected" : status.lagMillis() + " ms (primary " + status.primary() + ")";
                if (status.databases().isEmpty()) {
                    System.out.printf("%-24s %-8s %-16s %10s  %s%n", status.hostname(), status.role(), "-", "-", lag);
                }
                for (NodeStatus.DatabaseStatus db : status.databases()) {
                    System.out.printf("%-24s %-8s %-16s %10d  %s%n", status.hostname(), status.role(), db.name(), db.txid(), lag);
                }
                for (PeerStatus peer : status.peers()) {
                    String seen = (peer.connected() ? "connected, " : "disconnected, ") + "acked " + peer.lastSeenMillisAgo() + " ms ago";
                    for (var position : peer.positions().entrySet()) {
                        System.out.printf("%-24s %-8s %-16s %10d  %s%n", peer.node(), "replica", position.getKey(),
                                Position.parse(position.getValue()).txid(), seen);
                    }
                }
            }
        });
    }
}
