package dev.litecluster.fs;

import dev.litecluster.fuse.sys.Errno;
import dev.litecluster.fuse.sys.LibC;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The backing directories whose entries changed (a file created or deleted) since the app last
 * fsynced the mount's directory. The mount is flat, but its files live in one directory per
 * database: the app's directory fsync (SQLite makes a new journal durable with it) must reach
 * the directories where the entries really changed.
 */
final class ChangedDirectories {
    private final Set<Path> changed = ConcurrentHashMap.newKeySet();

    void add(Path directory) {
        changed.add(directory);
    }

    /** Fsyncs every changed directory; returns 0, or the first -errno (that directory stays changed). */
    int sync(boolean dataOnly) {
        for (Path directory : List.copyOf(changed)) {
            changed.remove(directory);
            int fd = LibC.open(directory.toString(), LibC.O_RDONLY | LibC.O_DIRECTORY | LibC.O_CLOEXEC, 0);
            if (fd == -Errno.ENOENT) {
                continue; // removed since: nothing left to make durable
            }
            int r = fd < 0 ? fd : LibC.fsync(fd, dataOnly);
            if (fd >= 0) {
                LibC.close(fd);
            }
            if (r < 0) {
                changed.add(directory);
                return r;
            }
        }
        return 0;
    }

    boolean isEmpty() {
        return changed.isEmpty();
    }
}
