package dev.litecluster.fuse.passthrough;

import dev.litecluster.fuse.Attributes;
import dev.litecluster.fuse.DirectoryBuffer;
import dev.litecluster.fuse.Entry;
import dev.litecluster.fuse.FsStats;
import dev.litecluster.fuse.FuseFileSystem;
import dev.litecluster.fuse.OpenResult;
import dev.litecluster.fuse.Request;
import dev.litecluster.fuse.SetattrRequest;
import dev.litecluster.fuse.sys.LibC;
import dev.litecluster.fuse.sys.Statx;

import java.io.File;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import static dev.litecluster.fuse.sys.Errno.EACCES;
import static dev.litecluster.fuse.sys.Errno.EBADF;
import static dev.litecluster.fuse.sys.Errno.ENOENT;
import static dev.litecluster.fuse.sys.Errno.ENOTDIR;

/**
 * Mirrors a backing directory. File handles are backing file descriptors (pread/pwrite, no Java
 * streams); nodeids stay bound to names while the kernel holds them, and st_ino is the backing
 * inode number, so SQLite sees stable files.
 *
 * <p>Built to be extended: the protected {@code on*} hooks run around the backing operations
 * (a negative return vetoes the operation with that errno), {@link #backingPathOf} maps names to
 * backing paths, {@link #listNames} decides what a directory shows, {@link #adjustAttributes}
 * edits attributes, and {@link #addVirtualFile} serves read-only generated files in the root.
 * Hooks run on reader threads: the same rules as for any handler apply (see {@link FuseFileSystem}).
 *
 * <p>Answers FLUSH with ENOSYS (nothing to do at close; the kernel then stops sending it).
 */
public class PassthroughFileSystem implements FuseFileSystem {
    /** Handles of virtual files start here, above every possible file descriptor. */
    private static final long VIRTUAL_FH = 1L << 32;
    private static final long VIRTUAL_INO = 1L << 62;
    private static final int VIRTUAL_MODE = LibC.S_IFREG | 0444;
    private static final ThreadLocal<Statx> STATX = ThreadLocal.withInitial(Statx::new);

    private final String root;
    private final long entryTimeout;
    private final long attrTimeout;
    private final long negativeTimeout;
    private final boolean runningAsRoot = LibC.geteuid() == 0;
    private final NodeTable nodes;
    private final Map<String, Supplier<byte[]>> virtualFiles = new ConcurrentHashMap<>();
    private final Map<Long, byte[]> virtualHandles = new ConcurrentHashMap<>();
    private final Map<Long, DirectoryHandle> directoryHandles = new ConcurrentHashMap<>();
    private final AtomicLong nextHandle = new AtomicLong(VIRTUAL_FH);

    /** An open directory; its listing is taken at the first READDIR, not at OPENDIR (SQLite opens directories just to fsync them). */
    private static final class DirectoryHandle {
        final Node node;
        List<String> names;

        DirectoryHandle(Node node) {
            this.node = node;
        }
    }

    public PassthroughFileSystem(Path backingDirectory) {
        this(backingDirectory, CacheTimeouts.defaults());
    }

    public PassthroughFileSystem(Path backingDirectory, CacheTimeouts timeouts) {
        this.root = backingDirectory.toAbsolutePath().normalize().toString();
        this.entryTimeout = timeouts.entry().toNanos();
        this.attrTimeout = timeouts.attr().toNanos();
        this.negativeTimeout = timeouts.negative().toNanos();
        this.nodes = new NodeTable(root);
    }

    // ---- extension points -------------------------------------------------------------------

    /** The table of known nodes (nodeid ↔ backing path). */
    protected final NodeTable nodes() {
        return nodes;
    }

    /** The backing path of a node the kernel knows, or null. */
    public Path backingPath(long nodeid) {
        Node node = nodes.get(nodeid);
        return node == null ? null : node.backingPath();
    }

    /** Where entry {@code name} of directory {@code dir} lives in the backing store. */
    protected String backingPathOf(Node dir, String name) {
        return dir.backing() + "/" + name;
    }

    /** The names directory {@code dir} shows (without "." and ".."); by default the backing entries plus, in the root, the virtual files. */
    protected List<String> listNames(Request req, Node dir) {
        String[] names = new File(dir.backing()).list();
        List<String> list = new ArrayList<>(names == null ? List.of() : Arrays.asList(names));
        if (dir.id() == NodeTable.ROOT) list.addAll(virtualFiles.keySet());
        return list;
    }

    /** Edits the attributes reported for {@code node} (mode, size, ...). */
    protected void adjustAttributes(Request req, Node node, Attributes attr) {}

    /** Before opening an existing file: veto with -errno, or choose per-open flags (direct I/O, keep cache) in {@code result}. */
    protected int onOpen(Request req, Node node, int flags, OpenResult result) {
        return 0;
    }

    /** Before creating {@code dir/name}: veto with -errno. {@link #onOpen} then runs for the new file. */
    protected int onCreate(Request req, Node dir, String name, int flags) {
        return 0;
    }

    /** Before a pwrite: veto with -errno. */
    protected int onWrite(Request req, Node node, long fh, long offset, MemorySegment data) {
        return 0;
    }

    /** After a successful pwrite of {@code written} bytes, before the reply; returns the reply (the count or -errno). */
    protected int afterWrite(Request req, Node node, long fh, long offset, MemorySegment data, int written) {
        return written;
    }

    /** Before truncating to {@code size} (ftruncate, truncate or O_TRUNC); veto with -errno. {@code fh} is NO_FH without a handle. */
    protected int onTruncate(Request req, Node node, long fh, long size) {
        return 0;
    }

    /** Before unlinking {@code dir/name} ({@code node} is null if the kernel does not know it); veto with -errno. */
    protected int onUnlink(Request req, Node dir, String name, Node node) {
        return 0;
    }

    /** Before renaming; veto with -errno. */
    protected int onRename(Request req, Node dir, String name, Node newDir, String newName) {
        return 0;
    }

    /** After a successful fsync/fdatasync of the backing file; returns the reply (0 or -errno). */
    protected int onFsync(Request req, Node node, long fh, boolean dataOnly) {
        return 0;
    }

    /** Before the backing descriptor of the last reference to an open file is closed. */
    protected void onRelease(Request req, Node node, long fh) {}

    /** Serves a read-only file {@code name} in the root whose content is produced at each open. */
    protected final void addVirtualFile(String name, Supplier<byte[]> content) {
        virtualFiles.put(name, content);
    }

    protected final void removeVirtualFile(String name) {
        virtualFiles.remove(name);
    }

    // ---- FUSE operations --------------------------------------------------------------------

    @Override
    public int lookup(Request req, long parent, String name, Entry entry) {
        Node dir = nodes.get(parent);
        if (dir == null) return -ENOENT;
        if (parent == NodeTable.ROOT) {
            Supplier<byte[]> content = virtualFiles.get(name);
            if (content != null) {
                Node node = nodes.lookup(parent, name, null, LibC.S_IFREG, content);
                return fillVirtualEntry(req, node, entry);
            }
        }
        String backing = backingPathOf(dir, name);
        Statx st = STATX.get();
        int r = LibC.statx(backing, st);
        if (r == -ENOENT && negativeTimeout > 0) {
            entry.nodeid = 0;
            entry.entryTimeoutNanos = negativeTimeout;
            return 0;
        }
        if (r < 0) return r;
        fillEntry(req, nodes.lookup(parent, name, backing, st.mode & LibC.S_IFMT, null), st, entry);
        return 0;
    }

    @Override
    public void forget(long nodeid, long count) {
        nodes.forget(nodeid, count);
    }

    @Override
    public int getattr(Request req, long nodeid, long fh, Attributes attr) {
        Node node = nodes.get(nodeid);
        if (node == null) return -ENOENT;
        if (node.isVirtual()) return fillVirtualAttributes(req, node, attr);
        Statx st = STATX.get();
        int r = fh != NO_FH && fh < VIRTUAL_FH ? LibC.fstatx((int) fh, st) : LibC.statx(node.backing(), st);
        if (r < 0) return r;
        fillAttributes(req, node, st, attr);
        return 0;
    }

    @Override
    public int setattr(Request req, long nodeid, SetattrRequest change, Attributes attr) {
        Node node = nodes.get(nodeid);
        if (node == null) return -ENOENT;
        if (node.isVirtual()) return -EACCES;
        int fd = change.hasFh() && change.fh() < VIRTUAL_FH ? (int) change.fh() : -1;
        String path = node.backing();
        int r = 0;
        if (change.hasMode()) r = fd >= 0 ? LibC.fchmod(fd, change.mode()) : LibC.chmod(path, change.mode());
        if (r == 0 && (change.hasUid() || change.hasGid())) {
            int uid = change.hasUid() ? change.uid() : -1;
            int gid = change.hasGid() ? change.gid() : -1;
            r = fd >= 0 ? LibC.fchown(fd, uid, gid) : LibC.lchown(path, uid, gid);
        }
        if (r == 0 && change.hasSize()) {
            r = onTruncate(req, node, fd >= 0 ? fd : NO_FH, change.size());
            if (r == 0) r = fd >= 0 ? LibC.ftruncate(fd, change.size()) : LibC.truncate(path, change.size());
        }
        if (r == 0 && (change.hasAtime() || change.hasMtime())) {
            long aNsec = change.atimeNow() ? LibC.UTIME_NOW : change.hasAtime() ? change.atimeNsec() : LibC.UTIME_OMIT;
            long mNsec = change.mtimeNow() ? LibC.UTIME_NOW : change.hasMtime() ? change.mtimeNsec() : LibC.UTIME_OMIT;
            r = LibC.utimens(fd, fd >= 0 ? null : path, change.atimeSec(), aNsec, change.mtimeSec(), mNsec);
        }
        if (r < 0) return r;
        return getattr(req, nodeid, fd >= 0 ? fd : NO_FH, attr);
    }

    @Override
    public int open(Request req, long nodeid, int flags, OpenResult result) {
        Node node = nodes.get(nodeid);
        if (node == null) return -ENOENT;
        if (node.isVirtual()) return openVirtual(node, flags, result);
        int r = onOpen(req, node, flags, result);
        if (r == 0 && (flags & LibC.O_TRUNC) != 0) r = onTruncate(req, node, NO_FH, 0);
        if (r < 0) return r;
        int fd = LibC.open(node.backing(), backingFlags(flags), 0);
        if (fd < 0) return fd;
        result.fh = fd;
        return 0;
    }

    @Override
    public int create(Request req, long parent, String name, int mode, int flags, Entry entry, OpenResult result) {
        Node dir = nodes.get(parent);
        if (dir == null) return -ENOENT;
        if (parent == NodeTable.ROOT && virtualFiles.containsKey(name)) return -EACCES;
        int r = onCreate(req, dir, name, flags);
        if (r < 0) return r;
        String backing = backingPathOf(dir, name);
        int fd = LibC.open(backing, backingFlags(flags) | LibC.O_CREAT, mode);
        if (fd < 0) return fd;
        Statx st = STATX.get();
        r = giveToCaller(req, fd, null);
        if (r == 0) r = LibC.fstatx(fd, st);
        Node node = r == 0 ? nodes.lookup(parent, name, backing, st.mode & LibC.S_IFMT, null) : null;
        if (node != null) r = onOpen(req, node, flags, result);
        if (r < 0) {
            LibC.close(fd);
            if (node != null) nodes.forget(node.id(), 1);
            return r;
        }
        fillEntry(req, node, st, entry);
        result.fh = fd;
        return 0;
    }

    @Override
    public int read(Request req, long nodeid, long fh, long offset, int size, MemorySegment dst) {
        if (fh >= VIRTUAL_FH) return readVirtual(fh, offset, size, dst);
        return (int) LibC.pread((int) fh, dst, size, offset);
    }

    @Override
    public int write(Request req, long nodeid, long fh, long offset, MemorySegment data, int writeFlags) {
        if (fh >= VIRTUAL_FH) return -EBADF;
        Node node = nodes.get(nodeid);
        if (node == null) return -ENOENT;
        int r = onWrite(req, node, fh, offset, data);
        if (r < 0) return r;
        long written = LibC.pwrite((int) fh, data, data.byteSize(), offset);
        if (written < 0) return (int) written;
        return afterWrite(req, node, fh, offset, data, (int) written);
    }

    @Override
    public int release(Request req, long nodeid, long fh, int flags) {
        if (fh >= VIRTUAL_FH) {
            virtualHandles.remove(fh);
            return 0;
        }
        Node node = nodes.get(nodeid);
        if (node != null) onRelease(req, node, fh);
        return LibC.close((int) fh);
    }

    @Override
    public int fsync(Request req, long nodeid, long fh, boolean dataOnly) {
        if (fh >= VIRTUAL_FH) return 0;
        int r = LibC.fsync((int) fh, dataOnly);
        if (r < 0) return r;
        Node node = nodes.get(nodeid);
        return node == null ? 0 : onFsync(req, node, fh, dataOnly);
    }

    @Override
    public int unlink(Request req, long parent, String name) {
        Node dir = nodes.get(parent);
        if (dir == null) return -ENOENT;
        if (parent == NodeTable.ROOT && virtualFiles.containsKey(name)) return -EACCES;
        int r = onUnlink(req, dir, name, nodes.child(parent, name));
        if (r == 0) r = LibC.unlink(backingPathOf(dir, name));
        if (r == 0) nodes.detach(parent, name);
        return r;
    }

    @Override
    public int rmdir(Request req, long parent, String name) {
        Node dir = nodes.get(parent);
        if (dir == null) return -ENOENT;
        int r = LibC.rmdir(backingPathOf(dir, name));
        if (r == 0) nodes.detach(parent, name);
        return r;
    }

    @Override
    public int rename(Request req, long parent, String name, long newParent, String newName, int flags) {
        Node dir = nodes.get(parent);
        Node newDir = nodes.get(newParent);
        if (dir == null || newDir == null) return -ENOENT;
        if (parent == NodeTable.ROOT && virtualFiles.containsKey(name)
                || newParent == NodeTable.ROOT && virtualFiles.containsKey(newName)) {
            return -EACCES;
        }
        int r = onRename(req, dir, name, newDir, newName);
        if (r < 0) return r;
        String to = backingPathOf(newDir, newName);
        r = LibC.rename(backingPathOf(dir, name), to, flags);
        if (r < 0) return r;
        if ((flags & 2) != 0) nodes.exchange(parent, name, newParent, newName);
        else nodes.move(parent, name, newParent, newName, to);
        return 0;
    }

    @Override
    public int mkdir(Request req, long parent, String name, int mode, Entry entry) {
        Node dir = nodes.get(parent);
        if (dir == null) return -ENOENT;
        String backing = backingPathOf(dir, name);
        int r = LibC.mkdir(backing, mode);
        if (r == 0) r = giveToCaller(req, -1, backing);
        Statx st = STATX.get();
        if (r == 0) r = LibC.statx(backing, st);
        if (r < 0) return r;
        fillEntry(req, nodes.lookup(parent, name, backing, st.mode & LibC.S_IFMT, null), st, entry);
        return 0;
    }

    @Override
    public int opendir(Request req, long nodeid, int flags, OpenResult result) {
        Node node = nodes.get(nodeid);
        if (node == null) return -ENOENT;
        if (!node.isDirectory()) return -ENOTDIR;
        long fh = nextHandle.getAndIncrement();
        directoryHandles.put(fh, new DirectoryHandle(node));
        result.fh = fh;
        return 0;
    }

    @Override
    public int readdir(Request req, long nodeid, long fh, long offset, DirectoryBuffer buffer) {
        DirectoryHandle handle = directoryHandles.get(fh);
        if (handle == null) return -EBADF;
        if (offset == 0 || handle.names == null) {
            List<String> names = new ArrayList<>(List.of(".", ".."));
            names.addAll(listNames(req, handle.node));
            handle.names = names;
        }
        Node dir = handle.node;
        Statx st = STATX.get();
        Entry entry = new Entry();
        for (int i = (int) offset; i < handle.names.size(); i++) {
            String name = handle.names.get(i);
            long cookie = i + 1;
            boolean dot = name.equals(".") || name.equals("..");
            if (dot) {
                entry.clear();
                entry.attributes.mode = LibC.S_IFDIR;
                entry.attributes.ino = 1;
                if (buffer.isPlus() ? !buffer.addPlus(name, entry, cookie) : !buffer.add(name, 1, LibC.S_IFDIR, cookie)) break;
                continue;
            }
            if (!buffer.isPlus()) {
                if (!addPlain(dir, name, cookie, st, buffer)) break;
                continue;
            }
            entry.clear();
            if (lookup(req, dir.id(), name, entry) < 0 || entry.nodeid == 0) continue; // vanished meanwhile
            if (!buffer.addPlus(name, entry, cookie)) {
                nodes.forget(entry.nodeid, 1);
                break;
            }
        }
        return 0;
    }

    private boolean addPlain(Node dir, String name, long cookie, Statx st, DirectoryBuffer buffer) {
        if (dir.id() == NodeTable.ROOT && virtualFiles.containsKey(name)) {
            return buffer.add(name, VIRTUAL_INO, VIRTUAL_MODE, cookie);
        }
        if (LibC.statx(backingPathOf(dir, name), st) < 0) return true; // vanished meanwhile: skip it
        return buffer.add(name, st.ino, st.mode, cookie);
    }

    @Override
    public int releasedir(Request req, long nodeid, long fh) {
        directoryHandles.remove(fh);
        return 0;
    }

    @Override
    public int fsyncdir(Request req, long nodeid, long fh, boolean dataOnly) {
        Node node = nodes.get(nodeid);
        if (node == null) return -ENOENT;
        int fd = LibC.open(node.backing(), LibC.O_RDONLY | LibC.O_DIRECTORY | LibC.O_CLOEXEC, 0);
        if (fd < 0) return fd;
        int r = LibC.fsync(fd, dataOnly);
        LibC.close(fd);
        return r;
    }

    @Override
    public int statfs(Request req, long nodeid, FsStats stats) {
        return stats.load(root);
    }

    @Override
    public int access(Request req, long nodeid, int mask) {
        return nodes.get(nodeid) == null ? -ENOENT : 0;
    }

    // ---- helpers ----------------------------------------------------------------------------

    /** The backing open flags: O_APPEND would make pwrite ignore the kernel's offsets; O_DIRECT needs aligned buffers. */
    private static int backingFlags(int flags) {
        return (flags & ~(LibC.O_APPEND | LibC.O_DIRECT | LibC.O_CREAT | LibC.O_EXCL)) | LibC.O_CLOEXEC;
    }

    /** Serving as root, a file created for another user must belong to that user. */
    private int giveToCaller(Request req, int fd, String path) {
        if (!runningAsRoot || req.uid() == 0) return 0;
        return fd >= 0 ? LibC.fchown(fd, req.uid(), req.gid()) : LibC.lchown(path, req.uid(), req.gid());
    }

    private void fillEntry(Request req, Node node, Statx st, Entry entry) {
        entry.nodeid = node.id();
        entry.generation = 0;
        entry.entryTimeoutNanos = entryTimeout;
        fillAttributes(req, node, st, entry.attributes);
    }

    private void fillAttributes(Request req, Node node, Statx st, Attributes attr) {
        attr.set(st);
        attr.timeoutNanos = attrTimeout;
        adjustAttributes(req, node, attr);
    }

    private int fillVirtualEntry(Request req, Node node, Entry entry) {
        entry.nodeid = node.id();
        entry.entryTimeoutNanos = entryTimeout;
        return fillVirtualAttributes(req, node, entry.attributes);
    }

    /** Virtual files are never cached: their size changes with every snapshot of their content. */
    private int fillVirtualAttributes(Request req, Node node, Attributes attr) {
        long now = System.currentTimeMillis();
        attr.clear();
        attr.ino = VIRTUAL_INO | node.id();
        attr.mode = VIRTUAL_MODE;
        attr.nlink = 1;
        attr.size = node.virtualContent().get().length;
        attr.atimeSec = attr.mtimeSec = attr.ctimeSec = now / 1000;
        adjustAttributes(req, node, attr);
        return 0;
    }

    private int openVirtual(Node node, int flags, OpenResult result) {
        if ((flags & LibC.O_ACCMODE) != LibC.O_RDONLY) return -EACCES;
        long fh = nextHandle.getAndIncrement();
        virtualHandles.put(fh, node.virtualContent().get());
        result.fh = fh;
        result.directIo = true;
        return 0;
    }

    private int readVirtual(long fh, long offset, int size, MemorySegment dst) {
        byte[] content = virtualHandles.get(fh);
        if (content == null) return -EBADF;
        if (offset >= content.length) return 0;
        int n = (int) Math.min(size, content.length - offset);
        MemorySegment.copy(content, (int) offset, dst, ValueLayout.JAVA_BYTE, 0, n);
        return n;
    }
}
