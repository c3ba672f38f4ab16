package dev.litecluster.fuse;

import dev.litecluster.fuse.passthrough.CacheTimeouts;
import dev.litecluster.fuse.passthrough.Node;
import dev.litecluster.fuse.passthrough.PassthroughFileSystem;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Serves a passthrough mount until unmounted or signalled (child-JVM tests, benchmark).
 * Usage: {@code PassthroughMain <backing> <mountpoint> [--direct-io=SUFFIX,...] [--readers=N]
 * [--mounter=AUTO|SYSCALL|FUSERMOUNT] [--cache-seconds=S]}. Prints "MOUNTED" once serving.
 */
public final class PassthroughMain {
    /** Opens names ending with one of the suffixes with direct I/O (one request per write, no page cache). */
    static final class DirectIoPassthrough extends PassthroughFileSystem {
        private final List<String> directIoSuffixes;

        DirectIoPassthrough(Path backing, CacheTimeouts timeouts, List<String> directIoSuffixes) {
            super(backing, timeouts);
            this.directIoSuffixes = directIoSuffixes;
        }

        @Override
        protected int onOpen(Request req, Node node, int flags, OpenResult result) {
            for (String suffix : directIoSuffixes) {
                if (node.name().endsWith(suffix)) result.directIo = true;
            }
            return 0;
        }
    }

    public static void main(String[] args) throws Exception {
        Path backing = Path.of(args[0]);
        Path mountPoint = Path.of(args[1]);
        List<String> directIo = new ArrayList<>();
        MountOptions options = MountOptions.defaults();
        CacheTimeouts timeouts = CacheTimeouts.defaults();
        for (int i = 2; i < args.length; i++) {
            String[] kv = args[i].split("=", 2);
            switch (kv[0]) {
                case "--direct-io" -> directIo.addAll(List.of(kv[1].split(",")));
                case "--readers" -> options = options.withReaders(Integer.parseInt(kv[1]));
                case "--mounter" -> options = options.withMounter(Mounter.valueOf(kv[1]));
                case "--cache-seconds" -> {
                    Duration d = Duration.ofSeconds(Long.parseLong(kv[1]));
                    timeouts = new CacheTimeouts(d, d, d);
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        FuseMount mount = FuseMount.mount(mountPoint, new DirectIoPassthrough(backing, timeouts, directIo), options);
        System.out.println("MOUNTED");
        System.out.flush();
        mount.awaitUnmounted();
    }
}
