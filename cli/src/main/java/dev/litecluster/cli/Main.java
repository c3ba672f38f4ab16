package dev.litecluster.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The `litecluster` command: one executable, one subcommand per job. */
@Command(name = "litecluster",
        mixinStandardHelpOptions = true,
        version = "litecluster 0.1.0",
        description = "Replicated SQLite: a FUSE mount that captures, streams and backs up every transaction.",
        subcommands = {MountCommand.class, StatusCommand.class, HandoffCommand.class, ExportCommand.class, ImportCommand.class, LtxCommand.class, CommandLine.HelpCommand.class})
public final class Main {

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }
}
