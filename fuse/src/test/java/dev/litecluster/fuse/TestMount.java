package dev.litecluster.fuse;

import dev.litecluster.fuse.passthrough.PassthroughFileSystem;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.function.Function;
import java.util.stream.Stream;

/** A temp directory with a backing dir and a mount point serving a filesystem; close() unmounts and deletes. */
public final class TestMount implements AutoCloseable {
    public final Path dir;
    public final Path backing;
    public final Path mountPoint;
    public final FuseFileSystem fs;
    public final FuseMount mount;

    private TestMount(Path dir, FuseFileSystem fs, FuseMount mount) {
        this.dir = dir;
        this.backing = dir.resolve("backing");
        this.mountPoint = dir.resolve("mnt");
        this.fs = fs;
        this.mount = mount;
    }

    public static TestMount passthrough() throws IOException {
        return create(PassthroughFileSystem::new, MountOptions.defaults());
    }

    public static TestMount create(Function<Path, FuseFileSystem> fsForBacking, MountOptions options) throws IOException {
        Path dir = Files.createTempDirectory("fuse-test");
        Path backing = Files.createDirectory(dir.resolve("backing"));
        Path mnt = Files.createDirectory(dir.resolve("mnt"));
        FuseFileSystem fs = fsForBacking.apply(backing);
        return new TestMount(dir, fs, FuseMount.mount(mnt, fs, options));
    }

    @Override
    public void close() throws IOException {
        mount.close();
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
