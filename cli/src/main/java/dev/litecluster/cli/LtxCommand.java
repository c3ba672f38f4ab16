package dev.litecluster.cli;

import dev.litecluster.ltx.LtxHeader;
import dev.litecluster.ltx.LtxInspector;
import dev.litecluster.ltx.LtxSummary;
import dev.litecluster.ltx.LtxTrailer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code litecluster ltx dump|verify}: look inside LTX files (ours or Litestream's) and check them. */
@Command(name = "ltx", description = "Inspect and verify LTX transaction files.",
        mixinStandardHelpOptions = true, subcommands = {LtxCommand.Dump.class, LtxCommand.Verify.class})
public final class LtxCommand {

    static final int OK = 0;
    static final int BAD = 1;

    @Command(name = "dump", mixinStandardHelpOptions = true,
            description = "Print the header, page frames, checksums and a verdict (exit 1 when corrupt).")
    static final class Dump implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "FILE", description = "LTX file")
        Path file;

        @Override
        public Integer call() {
            LtxSummary s;
            try {
                s = LtxInspector.inspect(file);
            } catch (IOException e) {
                spec.commandLine().getErr().println("ltx dump: cannot read " + file + ": " + describe(e));
                return BAD;
            }
            PrintWriter out = spec.commandLine().getOut();
            out.printf("file: %s (%d bytes)%n", file, s.fileSize());
            if (s.header() != null) {
                printHeader(out, s.header());
            }
            out.printf("pages: %d%n", s.pages().size());
            if (!s.pages().isEmpty()) {
                out.printf("  %10s %12s %8s  %s%n", "pgno", "offset", "size", "page checksum");
                for (LtxSummary.Page p : s.pages()) {
                    out.printf("  %10d %12d %8d  %s%n", p.pgno(), p.offset(), p.size(), hex(p.checksum()));
                }
            }
            LtxTrailer t = s.trailer();
            if (t != null) {
                out.printf("post-apply checksum: %s%n", hex(t.postApplyChecksum()));
                out.printf("file checksum: %s%n", hex(t.fileChecksum()));
            }
            out.println(s.verdict());
            return s.ok() ? OK : BAD;
        }

        private static void printHeader(PrintWriter out, LtxHeader h) {
            out.printf("flags: 0x%08x%s%n", h.flags(), h.noChecksum() ? " (no database checksums)" : "");
            out.printf("page size: %d%n", h.pageSize());
            out.printf("commit: %d pages%n", h.commit());
            out.printf("txid: %016x-%016x%s%n", h.minTxid(), h.maxTxid(), h.isSnapshot() ? " (snapshot)" : "");
            out.printf("timestamp: %s (%d ms)%n", Instant.ofEpochMilli(h.timestamp()), h.timestamp());
            out.printf("pre-apply checksum: %s%n", hex(h.preApplyChecksum()));
            out.printf("wal: offset %d, size %d, salt 0x%08x 0x%08x%n", h.walOffset(), h.walSize(), h.walSalt1(), h.walSalt2());
            out.printf("node id: %d%n", h.nodeId());
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Fully decode each file and check every checksum; one line per file, exit 1 if any is bad.")
    static final class Verify implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "FILE", arity = "1..*", description = "LTX files")
        List<Path> files;

        @Override
        public Integer call() {
            int status = OK;
            for (Path file : files) {
                try {
                    LtxSummary s = LtxInspector.inspect(file);
                    spec.commandLine().getOut().println(file + ": " + s.verdict());
                    status = s.ok() ? status : BAD;
                } catch (IOException e) {
                    spec.commandLine().getErr().println(file + ": ERROR: cannot read: " + describe(e));
                    status = BAD;
                }
            }
            return status;
        }
    }

    private static String hex(long v) {
        return "0x%016x".formatted(v);
    }

    /** NIO's exceptions carry just the path as message; say what went wrong instead. */
    private static String describe(IOException e) {
        return switch (e) {
            case NoSuchFileException x -> "no such file";
            case AccessDeniedException x -> "permission denied";
            default -> e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        };
    }
}
