package dev.litecluster.fuse;

import dev.litecluster.fuse.sys.Errno;
import dev.litecluster.fuse.sys.LibC;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Mounting without root through the setuid helper {@code fusermount3}: it opens /dev/fuse, mounts,
 * and sends the descriptor back over a unix socket whose end it finds in {@code _FUSE_COMMFD}.
 */
final class Fusermount {
    private static final String BINARY = "fusermount3";
    private static final int CHILD_SOCKET_FD = 3;

    private Fusermount() {}

    /** Mounts and returns the /dev/fuse descriptor (close-on-exec). */
    static int mount(Path mountPoint, String options) throws IOException {
        int[] pair = LibC.unixSocketPair();
        try {
            List<String> env = new ArrayList<>();
            for (Map.Entry<String, String> e : System.getenv().entrySet()) env.add(e.getKey() + "=" + e.getValue());
            env.add("_FUSE_COMMFD=" + CHILD_SOCKET_FD);
            int pid = LibC.spawnWithFd(List.of(BINARY, "-o", options, "--", mountPoint.toString()), env, pair[0], CHILD_SOCKET_FD);
            LibC.close(pair[0]);
            pair[0] = -1;
            int fd = LibC.receiveFd(pair[1]);
            int status = LibC.waitpid(pid);
            if (fd <= 0) {
                throw new IOException(BINARY + " could not mount " + mountPoint + " (exit " + status
                        + (fd < 0 ? ", " + Errno.describe(fd) : "") + "); see its message on stderr");
            }
            LibC.setCloseOnExec(fd);
            return fd;
        } finally {
            if (pair[0] >= 0) LibC.close(pair[0]);
            LibC.close(pair[1]);
        }
    }

    /** {@code fusermount3 -u [-z]}: unmounts a FUSE mount owned by the caller. */
    static boolean unmount(Path mountPoint, boolean lazy) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(BINARY, "-u", "-q"));
        if (lazy) cmd.add("-z");
        cmd.add("--");
        cmd.add(mountPoint.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
