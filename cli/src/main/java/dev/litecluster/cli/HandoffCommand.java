package dev.litecluster.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Callable;

/** {@code litecluster handoff [--to NODE]}: moves the primary role to a caught-up candidate replica. */
@Command(name = "handoff", mixinStandardHelpOptions = true,
        description = "Hand the primary role to a caught-up candidate replica (etcd or consul lease); run against the primary.")
public final class HandoffCommand implements Callable<Integer> {
    @Mixin
    NodeTarget target = new NodeTarget();

    @Option(names = "--to", description = "the replica's node name (as in 'litecluster status'); default: the most caught-up candidate")
    String to;

    @Override
    public Integer call() {
        return ClientCommands.run(() -> {
            try (NodeClient client = target.client()) {
                String query = to == null ? "" : "?to=" + URLEncoder.encode(to, StandardCharsets.UTF_8);
                System.out.print(client.post("/handoff" + query, new byte[0], Duration.ofSeconds(30)));
            }
        });
    }
}
