package dev.litecluster.cli.config;

/** A configuration problem, with a one-line message naming the file, the line and the key. */
public final class ConfigException extends Exception {
    public ConfigException(String message) {
        super(message);
    }
}
