package dev.litecluster.cli;

import dev.litecluster.cli.config.Config;
import dev.litecluster.cli.config.ConfigException;
import dev.litecluster.cli.config.ConfigLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code litecluster mount}: opens the data directory, mounts the databases, runs the app from
 * {@code exec} (if any) and unmounts when it exits or on SIGTERM/SIGINT.
 */
@Command(name = "mount", mixinStandardHelpOptions = true,
        description = "Mount the databases of this node (primary on a static lease) and run the app from 'exec'.")
public final class MountCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(MountCommand.class);

    @Option(names = {"-c", "--config"}, description = "config file (litefs.yml keys; default: ${DEFAULT-VALUE})",
            defaultValue = "litecluster.yml")
    Path configFile;

    @Override
    public Integer call() throws Exception {
        Config config;
        try {
            config = new ConfigLoader(System.getenv()).load(configFile);
        } catch (ConfigException e) {
            System.err.println("litecluster: " + e.getMessage());
            return 2;
        }
        // Registered before the node starts: SIGTERM while it starts waits for the start to finish (or
        // fail and undo itself), then closes the node, so the store is never left open by a stop.
        AtomicReference<Node> started = new AtomicReference<>();
        Object starting = new Object();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            synchronized (starting) {
                Node running = started.get();
                if (running != null) {
                    running.close();
                }
            }
            stopped.countDown();
        }, "litecluster-shutdown"));
        Node node;
        synchronized (starting) {
            try {
                node = Node.start(config);
            } catch (IOException | ConfigException e) {
                System.err.println("litecluster: " + e.getMessage());
                return 1;
            }
            started.set(node);
        }
        if (config.exec.isEmpty()) {
            stopped.await();
            return 0;
        }
        int code = runApp(config.exec);
        node.close();
        return code;
    }

    private static int runApp(List<String> exec) throws IOException, InterruptedException {
        List<String> command = exec.size() == 1 ? List.of("sh", "-c", exec.getFirst()) : exec;
        LOG.info("starting app: {}", String.join(" ", exec));
        Process app = new ProcessBuilder(command).inheritIO().start();
        try {
            Runtime.getRuntime().addShutdownHook(new Thread(app::destroy, "litecluster-app-stop"));
        } catch (IllegalStateException e) {
            app.destroy(); // SIGTERM came while the node was starting: the app is not wanted any more
        }
        int code = app.waitFor();
        LOG.info("app exited with code {}", code);
        return code;
    }
}
