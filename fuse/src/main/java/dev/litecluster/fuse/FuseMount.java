package dev.litecluster.fuse;

import dev.litecluster.fuse.sys.Errno;
import dev.litecluster.fuse.sys.LibC;
import dev.litecluster.fuse.sys.Statx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A mounted filesystem: mounts {@code /dev/fuse} at a directory (clearing a stale mount left
 * there by a crashed server first), serves it with a {@link FuseSession}, and unmounts on
 * {@link #close()} or at JVM shutdown (SIGTERM/SIGINT).
 */
public final class FuseMount implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FuseMount.class);
    private static final Path CONNECTIONS = Path.of("/sys/fs/fuse/connections");
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);

    private final Path mountPoint;
    private final boolean privileged;
    private final FuseSession session;
    private final int connection;
    private final AtomicBoolean closing = new AtomicBoolean();
    private final Thread shutdownHook;

    private FuseMount(Path mountPoint, boolean privileged, FuseSession session, int connection) {
        this.mountPoint = mountPoint;
        this.privileged = privileged;
        this.session = session;
        this.connection = connection;
        this.shutdownHook = Thread.ofPlatform().unstarted(this::close);
    }

    public static FuseMount mount(Path mountPoint, FuseFileSystem fs) throws IOException {
        return mount(mountPoint, fs, MountOptions.defaults());
    }

    public static FuseMount mount(Path mountPoint, FuseFileSystem fs, MountOptions options) throws IOException {
        Path path = mountPoint.toAbsolutePath().normalize();
        boolean root = LibC.geteuid() == 0;
        boolean useSyscall = switch (options.mounter()) {
            case AUTO -> root;
            case SYSCALL -> true;
            case FUSERMOUNT -> false;
        };
        clearStaleMount(path, root);
        int fd = useSyscall ? mountSyscall(path, options) : Fusermount.mount(path, fusermountOptions(options));
        int connection = MountTable.fuseMountAt(path).map(MountTable.FuseEntry::connection).orElse(-1);
        FuseSession session;
        try {
            session = FuseSession.start(options.name(), fd, fs, options.readers(), options.maxWrite());
        } catch (IOException | RuntimeException e) {
            detach(path, root);
            throw e;
        }
        FuseMount mount = new FuseMount(path, root, session, connection);
        try {
            if (!session.awaitInit(options.initTimeout())) throw new IOException("no FUSE INIT from the kernel at " + path);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            mount.close();
            throw new IOException("interrupted while mounting " + path, e);
        } catch (IOException e) {
            mount.close();
            throw e;
        }
        Runtime.getRuntime().addShutdownHook(mount.shutdownHook);
        log.info("mounted {} at {} via {} (connection {})", options.name(), path, useSyscall ? "mount(2)" : "fusermount3", connection);
        return mount;
    }

    private static int mountSyscall(Path path, MountOptions options) throws IOException {
        int fd = LibC.open("/dev/fuse", LibC.O_RDWR | LibC.O_CLOEXEC, 0);
        if (fd < 0) throw new IOException("cannot open /dev/fuse: " + Errno.describe(fd));
        String data = "fd=" + fd + ",rootmode=40000,user_id=" + LibC.getuid() + ",group_id=" + LibC.getgid()
                + ",default_permissions" + (options.allowOther() ? ",allow_other" : "");
        int r = LibC.mount(options.name(), path.toString(), "fuse." + options.name(), LibC.MS_NOSUID | LibC.MS_NODEV, data);
        if (r < 0) {
            LibC.close(fd);
            throw new IOException("mount(2) of " + path + " failed: " + Errno.describe(r));
        }
        return fd;
    }

    private static String fusermountOptions(MountOptions options) {
        return "default_permissions,fsname=" + options.name() + ",subtype=" + options.name()
                + (options.allowOther() ? ",allow_other" : "");
    }

    /**
     * A server that died leaves its mount behind ("Transport endpoint is not connected"), and a new
     * mount would stack on top of it: detach such mounts first.
     */
    private static void clearStaleMount(Path path, boolean root) throws IOException {
        Statx st = new Statx();
        for (int attempt = 0; ; attempt++) {
            // Forced: a dead server's root attributes may still be cached, and only a request says ENOTCONN.
            int r = LibC.statx(path.toString(), LibC.AT_STATX_FORCE_SYNC, st);
            if (r == -Errno.ENOTCONN && attempt < 16) {
                log.info("clearing stale FUSE mount at {}", path);
                detach(path, root);
                continue;
            }
            if (r < 0) throw new IOException("mount point " + path + " is not usable: " + Errno.describe(r));
            if (!st.isDirectory()) throw new IOException("mount point " + path + " is not a directory");
            return;
        }
    }

    private static void detach(Path path, boolean root) throws IOException {
        if (root) LibC.umount2(path.toString(), LibC.MNT_DETACH);
        else Fusermount.unmount(path, true);
    }

    public Path mountPoint() {
        return mountPoint;
    }

    public Notifier notifier() {
        return session.notifier();
    }

    /** True until the connection ended (unmounted here, elsewhere, or aborted). */
    public boolean isMounted() {
        return !session.isStopped();
    }

    /** Waits until the connection ends, e.g. because someone else unmounted it. */
    public void awaitUnmounted() throws InterruptedException {
        while (!session.awaitStopped(Duration.ofDays(1))) {
            // keep waiting
        }
    }

    /**
     * Unmounts and waits for the readers to stop. A busy mount (open files, a cwd inside) is
     * detached lazily and its connection aborted, so its users get errors instead of hanging.
     * Idempotent and safe to call concurrently; must not be called from a request handler.
     */
    @Override
    public void close() {
        if (session.isReaderThread(Thread.currentThread())) {
            throw new IllegalStateException("a FUSE request handler cannot unmount its own filesystem");
        }
        if (closing.compareAndSet(false, true)) {
            unmount();
            removeShutdownHook();
        }
        awaitStopped();
    }

    private void unmount() {
        try {
            boolean unmounted = privileged ? LibC.umount2(mountPoint.toString(), 0) == 0 : Fusermount.unmount(mountPoint, false);
            if (!unmounted && !session.isStopped()) {
                log.info("{} is busy: detaching and aborting its connection", mountPoint);
                if (privileged) {
                    LibC.umount2(mountPoint.toString(), LibC.MNT_FORCE | LibC.MNT_DETACH); // MNT_FORCE aborts the connection
                } else {
                    detach(mountPoint, false);
                    abortConnection();
                }
            }
            if (!session.awaitStopped(STOP_TIMEOUT)) {
                log.warn("{}: readers still running after unmount; aborting the connection", mountPoint);
                abortConnection();
            }
        } catch (IOException e) {
            log.warn("unmounting {} failed: {}", mountPoint, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Writing to {@code /sys/fs/fuse/connections/N/abort} fails every pending request and wakes
     * the readers; it needs fusectl mounted there.
     */
    private void abortConnection() throws IOException {
        Path abort = CONNECTIONS.resolve(Integer.toString(connection)).resolve("abort");
        if (connection >= 0 && Files.exists(abort)) Files.writeString(abort, "1");
        else log.warn("cannot abort the FUSE connection of {}: {} is not available", mountPoint, abort);
    }

    private void awaitStopped() {
        try {
            if (!session.awaitStopped(STOP_TIMEOUT)) log.error("{}: FUSE session did not stop", mountPoint);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void removeShutdownHook() {
        if (Thread.currentThread() == shutdownHook) return;
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException | IllegalArgumentException e) {
            // JVM shutdown in progress, or the hook was never registered (failed mount)
        }
    }
}
