package dev.litecluster.cli;

import dev.litecluster.cli.config.ConfigException;

import java.io.IOException;

/** Runs a command that talks to a node: expected failures become one line on stderr and exit code 1. */
final class ClientCommands {
    @FunctionalInterface
    interface Body {
        void run() throws IOException, ConfigException;
    }

    private ClientCommands() {
    }

    static int run(Body body) {
        try {
            body.run();
            return 0;
        } catch (IOException | ConfigException e) {
            System.err.println("litecluster: " + e.getMessage());
            return 1;
        }
    }
}
