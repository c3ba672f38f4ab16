package dev.litecluster.cli;

import dev.litecluster.cli.config.Config;
import dev.litecluster.cli.config.ConfigException;
import dev.litecluster.cli.config.ConfigLoader;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Which node a command talks to: {@code --url}, or the {@code http.addr} of a config file (like LiteFS's -url). */
final class NodeTarget {
    @Option(names = "--url", description = "node API URL (default: http://localhost:20202)")
    String url;

    @Option(names = {"-c", "--config"}, description = "read http.addr and http.secret from this config file")
    Path config;

    /** The node's base URL and secret. */
    NodeClient client() throws ConfigException {
        String secret = System.getenv("LITECLUSTER_SECRET");
        String base = url;
        if (config != null) {
            Config c = new ConfigLoader(System.getenv()).load(config);
            secret = c.http.secret;
            if (base == null) {
                String addr = c.http.addr;
                String host = addr.substring(0, addr.lastIndexOf(':'));
                base = "http://" + (host.isEmpty() ? "localhost" : host) + addr.substring(addr.lastIndexOf(':'));
            }
        }
        return new NodeClient(base == null ? "http://localhost:20202" : base, secret);
    }
}
