package dev.litecluster.cli;

import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** The arguments of commands that move a whole database between a node and a file. */
final class DatabaseFileArgs {
    @Option(names = "--name", required = true, description = "database name")
    String name;

    @Parameters(index = "0", paramLabel = "FILE")
    Path file;

    /** The API path for {@code endpoint} naming this database. */
    String path(String endpoint) {
        return endpoint + "?name=" + URLEncoder.encode(name, StandardCharsets.UTF_8);
    }
}
