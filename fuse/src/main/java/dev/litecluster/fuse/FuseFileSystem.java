package dev.litecluster.fuse;

import java.lang.foreign.MemorySegment;

import static dev.litecluster.fuse.sys.Errno.ENOSYS;

/**
 * An inode-based filesystem served over FUSE. Every operation returns 0 (or a byte count where
 * noted) on success and {@code -errno} on failure; by default each answers {@code -ENOSYS}.
 *
 * <p>Handlers run on the session's reader threads, several at once; the reply is sent when the
 * handler returns. A handler must never touch the mount itself, never wait for a
 * {@link Notifier} result, and must not keep the {@link Request} or reply structs it was given.
 * An exception thrown by a handler is answered with EIO and logged.
 *
 * <p>Beware that {@code -ENOSYS} is permanent for many operations (the kernel stops asking): for
 * FSYNC and FSYNCDIR that means fsync silently succeeds, so a durable filesystem must implement them.
 */
public interface FuseFileSystem {
    /** getattr without a file handle. */
    long NO_FH = -1;

    /** Resolves {@code name} in directory {@code parent}; fills {@code entry} (nodeid 0 + timeout = negative entry). */
    default int lookup(Request req, long parent, String name, Entry entry) {
        return -ENOSYS;
    }

    /** The kernel dropped {@code count} lookups of {@code nodeid}; free it when its count reaches 0. No reply. */
    default void forget(long nodeid, long count) {}

    /** {@code fh} is {@link #NO_FH} unless the kernel named an open file (fstat). */
    default int getattr(Request req, long nodeid, long fh, Attributes attr) {
        return -ENOSYS;
    }

    /** Truncate, chmod, chown, utimens; fills {@code attr} with the new attributes. */
    default int setattr(Request req, long nodeid, SetattrRequest changes, Attributes attr) {
        return -ENOSYS;
    }

    default int open(Request req, long nodeid, int flags, OpenResult result) {
        return -ENOSYS;
    }

    /** Creates and opens a regular file; {@code mode} already has the umask applied. */
    default int create(Request req, long parent, String name, int mode, int flags, Entry entry, OpenResult result) {
        return -ENOSYS;
    }

    /** Reads up to {@code size} bytes into {@code dst}; returns the count (short only at EOF for cached files). */
    default int read(Request req, long nodeid, long fh, long offset, int size, MemorySegment dst) {
        return -ENOSYS;
    }

    /** Writes {@code data} (valid only during the call); returns the count written. */
    default int write(Request req, long nodeid, long fh, long offset, MemorySegment data, int writeFlags) {
        return -ENOSYS;
    }

    /** Sent on every close() of a descriptor. {@code -ENOSYS} stops FLUSH requests for good. */
    default int flush(Request req, long nodeid, long fh, long lockOwner) {
        return -ENOSYS;
    }

    /** The last reference to an open file is gone. Always answered (its result is ignored by the kernel). */
    default int release(Request req, long nodeid, long fh, int flags) {
        return 0;
    }

    default int fsync(Request req, long nodeid, long fh, boolean dataOnly) {
        return -ENOSYS;
    }

    default int unlink(Request req, long parent, String name) {
        return -ENOSYS;
    }

    /** {@code flags}: RENAME_NOREPLACE=1, RENAME_EXCHANGE=2 (0 for a plain rename). */
    default int rename(Request req, long parent, String name, long newParent, String newName, int flags) {
        return -ENOSYS;
    }

    default int mkdir(Request req, long parent, String name, int mode, Entry entry) {
        return -ENOSYS;
    }

    default int rmdir(Request req, long parent, String name) {
        return -ENOSYS;
    }

    default int opendir(Request req, long nodeid, int flags, OpenResult result) {
        return -ENOSYS;
    }

    /**
     * Fills {@code buffer} with entries after cookie {@code offset} (0 = from the start); an empty
     * buffer means end of directory. Serves both READDIR and READDIRPLUS ({@link DirectoryBuffer#isPlus()}).
     */
    default int readdir(Request req, long nodeid, long fh, long offset, DirectoryBuffer buffer) {
        return -ENOSYS;
    }

    default int releasedir(Request req, long nodeid, long fh) {
        return 0;
    }

    default int fsyncdir(Request req, long nodeid, long fh, boolean dataOnly) {
        return -ENOSYS;
    }

    default int statfs(Request req, long nodeid, FsStats stats) {
        return -ENOSYS;
    }

    /** Only sent without the {@code default_permissions} mount option. {@code mask}: R=4, W=2, X=1, F=0. */
    default int access(Request req, long nodeid, int mask) {
        return -ENOSYS;
    }
}
