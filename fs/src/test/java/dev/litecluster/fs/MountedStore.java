package dev.litecluster.fs;

import dev.litecluster.fuse.FuseMount;
import dev.litecluster.store.Store;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A primary's store mounted through {@link LiteclusterFileSystem} in a test directory. */
final class MountedStore implements AutoCloseable {
    final Path data;
    final Path mount;
    final Store store;
    private final FuseMount fuse;

    private MountedStore(Path data, Path mount, Store store, FuseMount fuse) {
        this.data = data;
        this.mount = mount;
        this.store = store;
        this.fuse = fuse;
    }

    static MountedStore open(Path root) throws IOException {
        Path data = root.resolve("data");
        Path mount = root.resolve("mnt");
        try {
            Files.createDirectories(mount);
        } catch (FileAlreadyExistsException e) {
            // a mount left by a killed node: FuseMount detaches it
        }
        Store store = Store.open(data);
        try {
            return new MountedStore(data, mount, store, FuseMount.mount(mount, new LiteclusterFileSystem(store, ClusterView.PRIMARY)));
        } catch (IOException | RuntimeException e) {
            store.close();
            throw e;
        }
    }

    Path db(String name) {
        return mount.resolve(name);
    }

    /** The data directory of database {@code name} of the node rooted at {@code root}. */
    static Path databaseDir(Path root, String name) {
        return root.resolve("data").resolve("dbs").resolve(name);
    }

    /** Detaches a mount left at {@code mountPoint} by a node that died (a test that failed midway). */
    static void detachIfMounted(Path mountPoint) throws Exception {
        boolean mounted = Files.readAllLines(Path.of("/proc/mounts")).stream()
                .anyMatch(line -> line.split(" ")[1].equals(mountPoint.toString()));
        if (mounted) {
            Clients.run(java.util.List.of("umount", "-l", mountPoint.toString()));
        }
    }

    @Override
    public void close() throws IOException {
        try {
            fuse.close();
        } finally {
            store.close();
        }
    }
}
