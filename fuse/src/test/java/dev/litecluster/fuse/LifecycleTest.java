package dev.litecluster.fuse;

import dev.litecluster.fuse.passthrough.PassthroughFileSystem;
import dev.litecluster.fuse.sys.Errno;
import dev.litecluster.fuse.sys.LibC;
import dev.litecluster.fuse.sys.Statx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Unmounting under load, crashes and signals leave nothing mounted or stuck. */
class LifecycleTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final String BUSY_CLIENT = """
            import os
            fd = os.open("busy", os.O_RDWR | os.O_CREAT, 0o644)
            print("running", flush=True)
            i = 0
            while True:
                os.pwrite(fd, b"x" * 4096, (i % 100) * 4096)
                os.pread(fd, 4096, 0)
                i += 1
            """;

    Path dir;
    Path backing;
    Path mnt;

    @BeforeEach
    void dirs() throws IOException {
        dir = Files.createTempDirectory("fuse-lifecycle");
        backing = Files.createDirectory(dir.resolve("backing"));
        mnt = Files.createDirectory(dir.resolve("mnt"));
    }

    @AfterEach
    void cleanUp() throws IOException {
        LibC.umount2(mnt.toString(), LibC.MNT_DETACH); // only matters if a test failed half-way
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private boolean mounted() throws IOException {
        return MountTable.fuseMountAt(mnt).isPresent();
    }

    @Test
    void unmountUnderLoadFailsClientsAndLeavesNothingBehind() throws Exception {
        FuseMount mount = FuseMount.mount(mnt, new PassthroughFileSystem(backing));
        Process client = new ProcessBuilder("python3", "-c", BUSY_CLIENT).directory(mnt.toFile()).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8));
        assertThat(out.readLine()).isEqualTo("running");
        Thread.sleep(300);

        // two concurrent closes: both return once the connection is gone
        CompletableFuture<Void> other = CompletableFuture.runAsync(mount::close);
        mount.close();
        other.get(10, TimeUnit.SECONDS);

        assertThat(client.waitFor(10, TimeUnit.SECONDS)).as("client got an error instead of hanging").isTrue();
        assertThat(client.exitValue()).isNotZero();
        assertThat(mount.isMounted()).isFalse();
        assertThat(mounted()).isFalse();
        mount.close(); // idempotent
    }

    @Test
    void remountAfterKill9ClearsTheStaleMount() throws Exception {
        Process child = Proc.startMountJvm(backing, mnt);
        Files.writeString(mnt.resolve("survivor"), "written before the crash");
        assertThat(LibC.statx(mnt.toString(), new Statx())).isZero(); // the kernel now caches the root's attributes
        child.destroyForcibly();
        assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(LibC.statx(mnt.toString(), LibC.AT_STATX_FORCE_SYNC, new Statx())).isEqualTo(-Errno.ENOTCONN);

        try (FuseMount mount = FuseMount.mount(mnt, new PassthroughFileSystem(backing))) {
            assertThat(Files.readString(mnt.resolve("survivor"))).isEqualTo("written before the crash");
        }
        assertThat(mounted()).isFalse();
    }

    @Test
    void sigtermUnmounts() throws Exception {
        Process child = Proc.startMountJvm(backing, mnt);
        assertThat(mounted()).isTrue();
        Files.writeString(mnt.resolve("f"), "x");
        child.destroy(); // SIGTERM
        assertThat(child.waitFor(15, TimeUnit.SECONDS)).isTrue();
        await().atMost(TIMEOUT).until(() -> !mounted());
    }

    @Test
    void fusermount3MountsAndUnmounts() throws Exception {
        try (FuseMount mount = FuseMount.mount(mnt, new PassthroughFileSystem(backing), MountOptions.defaults().withMounter(Mounter.FUSERMOUNT))) {
            Files.writeString(mnt.resolve("via-fusermount"), "hello");
            assertThat(Files.readString(backing.resolve("via-fusermount"))).isEqualTo("hello");
            assertThat(mounted()).isTrue();
        }
        assertThat(mounted()).isFalse();
    }
}
