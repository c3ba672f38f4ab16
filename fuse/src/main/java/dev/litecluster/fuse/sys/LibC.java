package dev.litecluster.fuse.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.List;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * The libc calls Java lacks, through FFM. Every call returns its result, or {@code -errno} on
 * failure (no exceptions on the hot path). String arguments are encoded into per-thread native
 * scratch buffers, so callers pass plain Java strings.
 */
public final class LibC {
    public static final int AT_FDCWD = -100;
    public static final int AT_SYMLINK_NOFOLLOW = 0x100;
    public static final int AT_EMPTY_PATH = 0x1000;
    /** statx: ask the filesystem even when the kernel holds cached attributes. */
    public static final int AT_STATX_FORCE_SYNC = 0x2000;

    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_RDWR = 2;
    public static final int O_ACCMODE = 3;
    public static final int O_CREAT = 0100;
    public static final int O_EXCL = 0200;
    public static final int O_TRUNC = 01000;
    public static final int O_APPEND = 02000;
    public static final int O_DIRECT = 040000;
    public static final int O_DIRECTORY = 0200000;
    public static final int O_NOFOLLOW = 0400000;
    public static final int O_CLOEXEC = 02000000;

    public static final int S_IFMT = 0170000;
    public static final int S_IFDIR = 0040000;
    public static final int S_IFREG = 0100000;

    public static final int MS_NOSUID = 2;
    public static final int MS_NODEV = 4;
    public static final int MNT_FORCE = 1;
    public static final int MNT_DETACH = 2;

    public static final int F_RDLCK = 0;
    public static final int F_WRLCK = 1;
    public static final int F_UNLCK = 2;
    private static final int F_SETFD = 2;
    private static final int FD_CLOEXEC = 1;
    private static final int F_OFD_GETLK = 36;
    private static final int F_OFD_SETLK = 37;
    private static final int F_OFD_SETLKW = 38;

    /** {@code utimensat} special nanosecond values. */
    public static final long UTIME_NOW = (1L << 30) - 1;
    public static final long UTIME_OMIT = (1L << 30) - 2;

    /** statx(2) buffer: 256 bytes; the offsets used by {@link Statx}. */
    static final int STATX_SIZE = 256;
    private static final int STATX_BASIC_STATS = 0x7ff;
    /** struct statvfs on x86_64. */
    private static final int STATVFS_SIZE = 112;
    /** struct flock on x86_64. */
    private static final int FLOCK_SIZE = 32;
    private static final int PATH_BUFFER = 4096;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
    private static final VarHandle ERRNO_VALUE = Linker.Option.captureStateLayout()
            .varHandle(MemoryLayout.PathElement.groupElement("errno"));

    private static final MethodHandle OPEN = fn("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
            ERRNO, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle CLOSE = fn("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), ERRNO);
    private static final MethodHandle READ = fn("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), ERRNO);
    private static final MethodHandle WRITE = fn("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), ERRNO);
    private static final MethodHandle PREAD = fn("pread64",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG), ERRNO);
    private static final MethodHandle PWRITE = fn("pwrite64",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG), ERRNO);
    private static final MethodHandle FSYNC = fn("fsync", FunctionDescriptor.of(JAVA_INT, JAVA_INT), ERRNO);
    private static final MethodHandle FDATASYNC = fn("fdatasync", FunctionDescriptor.of(JAVA_INT, JAVA_INT), ERRNO);
    private static final MethodHandle FTRUNCATE = fn("ftruncate", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG), ERRNO);
    private static final MethodHandle TRUNCATE = fn("truncate", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), ERRNO);
    private static final MethodHandle STATX = fn("statx",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS), ERRNO);
    private static final MethodHandle STATVFS = fn("statvfs", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), ERRNO);
    private static final MethodHandle MKDIR = fn("mkdir", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), ERRNO);
    private static final MethodHandle RMDIR = fn("rmdir", FunctionDescriptor.of(JAVA_INT, ADDRESS), ERRNO);
    private static final MethodHandle UNLINK = fn("unlink", FunctionDescriptor.of(JAVA_INT, ADDRESS), ERRNO);
    private static final MethodHandle RENAMEAT2 = fn("renameat2",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT), ERRNO);
    private static final MethodHandle CHMOD = fn("chmod", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), ERRNO);
    private static final MethodHandle FCHMOD = fn("fchmod", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), ERRNO);
    private static final MethodHandle LCHOWN = fn("lchown", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), ERRNO);
    private static final MethodHandle FCHOWN = fn("fchown", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), ERRNO);
    private static final MethodHandle UTIMENSAT = fn("utimensat",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT), ERRNO);
    private static final MethodHandle MOUNT = fn("mount",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS), ERRNO);
    private static final MethodHandle UMOUNT2 = fn("umount2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), ERRNO);
    private static final MethodHandle IOCTL = fn("ioctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS),
            ERRNO, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle FCNTL_PTR = fn("fcntl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS),
            ERRNO, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle FCNTL_INT = fn("fcntl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT),
            ERRNO, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle SOCKETPAIR = fn("socketpair",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS), ERRNO);
    private static final MethodHandle RECVMSG = fn("recvmsg", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT), ERRNO);
    private static final MethodHandle WAITPID = fn("waitpid", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), ERRNO);
    private static final MethodHandle POSIX_SPAWNP = fn("posix_spawnp",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle SPAWN_ACTIONS_INIT = fn("posix_spawn_file_actions_init",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle SPAWN_ACTIONS_ADDDUP2 = fn("posix_spawn_file_actions_adddup2",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    private static final MethodHandle SPAWN_ACTIONS_DESTROY = fn("posix_spawn_file_actions_destroy",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle GETEUID = fn("geteuid", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle GETUID = fn("getuid", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle GETGID = fn("getgid", FunctionDescriptor.of(JAVA_INT));

    /** Per-thread native buffers: errno capture, two C strings, statx, flock, timespec pair. */
    private static final class Scratch {
        final Arena arena = Arena.ofAuto();
        final MemorySegment errno = arena.allocate(Linker.Option.captureStateLayout());
        final MemorySegment path0 = arena.allocate(PATH_BUFFER);
        final MemorySegment path1 = arena.allocate(PATH_BUFFER);
        final MemorySegment statx = arena.allocate(STATX_SIZE, 8);
        final MemorySegment flock = arena.allocate(FLOCK_SIZE, 8);
        final MemorySegment times = arena.allocate(32, 8);
        final MemorySegment statvfs = arena.allocate(STATVFS_SIZE, 8);

        int errno() {
            return (int) ERRNO_VALUE.get(errno, 0L);
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private LibC() {}

    private static MethodHandle fn(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        MemorySegment symbol = LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc lacks " + name));
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    /** Encodes {@code s} as a NUL-terminated UTF-8 string into {@code buffer}; null if it does not fit. */
    private static MemorySegment cString(MemorySegment buffer, String s) {
        if (s.length() * 3L < PATH_BUFFER) {
            buffer.setString(0, s);
            return buffer;
        }
        byte[] bytes = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (bytes.length >= PATH_BUFFER) return null;
        MemorySegment.copy(bytes, 0, buffer, ValueLayout.JAVA_BYTE, 0, bytes.length);
        buffer.set(ValueLayout.JAVA_BYTE, bytes.length, (byte) 0);
        return buffer;
    }

    private static int result(int r, Scratch s) {
        return r < 0 ? -s.errno() : r;
    }

    private static long result(long r, Scratch s) {
        return r < 0 ? -s.errno() : r;
    }

    /** Downcalls declare Throwable; only errors of the JVM itself can come out of them. */
    private static RuntimeException unexpected(Throwable t) {
        if (t instanceof Error e) throw e;
        return t instanceof RuntimeException re ? re : new IllegalStateException(t);
    }

    public static int open(String path, int flags, int mode) {
        Scratch s = SCRATCH.get();
        MemorySegment p = cString(s.path0, path);
        if (p == null) return -Errno.ENAMETOOLONG;
        try {
            return result((int) OPEN.invokeExact(s.errno, p, flags, mode), s);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int close(int fd) {
        Scratch s = SCRATCH.get();
        try {
            return result((int) CLOSE.invokeExact(s.errno, fd), s);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static long read(int fd, MemorySegment buf, long count) {
        Scratch s = SCRATCH.get();
        try {
            return result((long) READ.invokeExact(s.errno, fd, buf, count), s);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static long write(int fd, MemorySegment buf, long count) {
        Scratch s = SCRATCH.get();
        try {
            return result((long) WRITE.invokeExact(s.errno, fd, buf, count), s);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static long pread(int fd, MemorySegment buf, long count, long offset) {
        Scratch s = SCRATCH.get();
        try {
            return result((long) PREAD.invokeExact(s.errno, fd, buf, count, offset), s);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static long pwrite(int fd, MemorySegment buf, long count, long offset) {
        Scratch s = SCRATCH.get();
        try {
            return result((long) PWRITE.invokeExact(s.errno, fd, buf, count, offset), s);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int fsync(int fd, boolean dataOnly) {
        Scratch s = SCRATCH.get();
        try {
            return result(dataOnly ? (int) FDATASYNC.invokeExact(s.errno, fd) : (int) FSYNC.invokeExact(s.errno, fd), s);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int ftruncate(int fd, long size) {
        Scratch s = SCRATCH.get();
        try {
            return result((int) FTRUNCATE.invokeExact(s.errno, fd, size), s);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int truncate(String path, long size) {
        Scratch s = SCRATCH.get();
        MemorySegment p = cString(s.path0, path);
        if (p == null) return -Errno.ENAMETOOLONG;
        try {
            return result((int) TRUNCATE.invokeExact(s.errno, p, size), s);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** lstat-like statx of a path (symlinks not followed); the result is read with {@link Statx}. */
    public static int statx(String path, Statx out) {
        return statx(path, 0, out);
    }

    /** {@link #statx(String, Statx)} with extra {@code AT_*} flags (such as {@link #AT_STATX_FORCE_SYNC}). */
    public static int statx(String path, int flags, Statx out) {
        Scratch s = SCRATCH.get();
        MemorySegment p = cString(s.path0, path);
        if (p == null) return -Errno.ENAMETOOLONG;
        return statx(s, AT_FDCWD, p, AT_SYMLINK_NOFOLLOW | flags, out);
    }

    /** fstat-like statx of an open descriptor. */
    public static int fstatx(int fd, Statx out) {
        Scratch s = SCRATCH.get();
        s.path0.set(ValueLayout.JAVA_BYTE, 0, (byte) 0);
        return statx(s, fd, s.path0, AT_EMPTY_PATH, out);
    }

    private static int statx(Scratch s, int dirfd, MemorySegment path, int flags, Statx out) {
        try {
            int r = result((int) STATX.invokeExact(s.errno, dirfd, path, flags, STATX_BASIC_STATS, s.statx), s);
            if (r == 0) out.load(s.statx);
            return r;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * statvfs(3) of a path into {@code out}: bsize, frsize, blocks, bfree, bavail, files, ffree,
     * favail, fsid, flag, namemax (the 11 fields of struct statvfs, in order).
     */
    public static int statvfs(String path, long[] out) {
        Scratch s = SCRATCH.get();
        MemorySegment p = cString(s.path0, path);
        if (p == null) return -Errno.ENAMETOOLONG;
        try {
            int r = result((int) STATVFS.invokeExact(s.errno, p, s.statvfs), s);
            for (int i = 0; r == 0 && i < 11; i++) out[i] = s.statvfs.get(JAVA_LONG, 8L * i);
            return r;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int mkdir(String path, int mode) {
        return pathCall(MKDIR, path, mode);
    }

    public static int chmod(String path, int mode) {
        return pathCall(CHMOD, path, mode);
    }

    public static int rmdir(String path) {
        return pathCall(RMDIR, path);
    }

    public static int unlink(String path) {
        return pathCall(UNLINK, path);
    }

    public static int umount2(String path, int flags) {
        return pathCall(UMOUNT2, path, flags);
    }

    private static int pathCall(MethodHandle h, String path) {
        Scratch s = SCRATCH.get();
        MemorySegment p = cString(s.path0, path);
        if (p == null) return -Errno.ENAMETOOLONG;
        try {
            return result((int) h.invokeExact(s.errno, p), s);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static int pathCall(MethodHandle h, String path, int arg) {
        Scratch s = SCRATCH.get();
        MemorySegment p = cString(s.path0, path);
        if (p == null) return -Errno.ENAMETOOLONG;
        try {
            return result((int) h.invokeExact(s.errno, p, arg), s);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int rename(String from, String to, int flags) {
        Scratch s = SCRATCH.get();
        MemorySegment f = cString(s.path0, from);
        MemorySegment t = cString(s.path1, to);
        if (f == null || t == null) return -Errno.ENAMETOOLONG;
        try {
            return result((int) RENAMEAT2.invokeExact(s.errno, AT_FDCWD, f, AT_FDCWD, t, flags), s);
        } catch (Throwable e) {
            throw unexpected(e);
        }
    }

    public static int fchmod(int fd, int mode) {
        Scratch s = SCRATCH.get();
        try {
            return result((int) FCHMOD.invokeExact(s.errno, fd, mode), s);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int lchown(String path, int uid, int gid) {
        Scratch s = SCRATCH.get();
        MemorySegment p = cString(s.path0, path);
        if (p == null) return -Errno.ENAMETOOLONG;
        try {
            return result((int) LCHOWN.invokeExact(s.errno, p, uid, gid), s);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int fchown(int fd, int uid, int gid) {
        Scratch s = SCRATCH.get();
        try {
            return result((int) FCHOWN.invokeExact(s.errno, fd, uid, gid), s);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * Sets access and modification times of a path, or of {@code fd} when {@code path} is null.
     * Nanoseconds may be {@link #UTIME_NOW} or {@link #UTIME_OMIT}.
     */
    public static int utimens(int fd, String path, long atimeSec, long atimeNsec, long mtimeSec, long mtimeNsec) {
        Scratch s = SCRATCH.get();
        s.times.set(JAVA_LONG, 0, atimeSec);
        s.times.set(JAVA_LONG, 8, atimeNsec);
        s.times.set(JAVA_LONG, 16, mtimeSec);
        s.times.set(JAVA_LONG, 24, mtimeNsec);
        MemorySegment p = path == null ? MemorySegment.NULL : cString(s.path0, path);
        if (p == null) return -Errno.ENAMETOOLONG;
        try {
            return result((int) UTIMENSAT.invokeExact(s.errno, path == null ? fd : AT_FDCWD, p, s.times,
                    path == null ? 0 : AT_SYMLINK_NOFOLLOW), s);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int mount(String source, String target, String fstype, long flags, String data) {
        try (Arena arena = Arena.ofConfined()) {
            Scratch s = SCRATCH.get();
            return result((int) MOUNT.invokeExact(s.errno, arena.allocateFrom(source), arena.allocateFrom(target),
                    arena.allocateFrom(fstype), flags, arena.allocateFrom(data)), s);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** ioctl with a pointer to a u32 argument (e.g. FUSE_DEV_IOC_CLONE). */
    public static int ioctlInt(int fd, long request, int value) {
        try (Arena arena = Arena.ofConfined()) {
            Scratch s = SCRATCH.get();
            MemorySegment arg = arena.allocateFrom(JAVA_INT, value);
            return result((int) IOCTL.invokeExact(s.errno, fd, request, arg), s);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int setCloseOnExec(int fd) {
        Scratch s = SCRATCH.get();
        try {
            return result((int) FCNTL_INT.invokeExact(s.errno, fd, F_SETFD, FD_CLOEXEC), s);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * Open-file-description lock ({@code F_OFD_SETLK}, or {@code F_OFD_SETLKW} when {@code wait}):
     * {@code type} is {@link #F_RDLCK}, {@link #F_WRLCK} or {@link #F_UNLCK}; {@code len} 0 = to EOF.
     * Returns 0, or -EAGAIN when a conflicting lock is held. These are the locks SQLite takes, so
     * on a descriptor opened through the mount they exclude SQLite processes and vice versa.
     */
    public static int ofdLock(int fd, int type, long start, long len, boolean wait) {
        Scratch s = SCRATCH.get();
        fillFlock(s.flock, type, start, len);
        try {
            int r = result((int) FCNTL_PTR.invokeExact(s.errno, fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, s.flock), s);
            return r == -Errno.EACCES ? -Errno.EAGAIN : r;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int ofdLock(int fd, int type, long start, long len) {
        return ofdLock(fd, type, start, len, false);
    }

    /**
     * {@code F_OFD_GETLK}: the type of the first lock that would conflict with a lock of {@code type}
     * over the range ({@link #F_UNLCK} if none), or -errno.
     */
    public static int ofdGetLock(int fd, int type, long start, long len) {
        Scratch s = SCRATCH.get();
        fillFlock(s.flock, type, start, len);
        try {
            int r = result((int) FCNTL_PTR.invokeExact(s.errno, fd, F_OFD_GETLK, s.flock), s);
            return r < 0 ? r : s.flock.get(JAVA_SHORT, 0);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static void fillFlock(MemorySegment flock, int type, long start, long len) {
        flock.fill((byte) 0);
        flock.set(JAVA_SHORT, 0, (short) type);
        flock.set(JAVA_SHORT, 2, (short) 0); // SEEK_SET
        flock.set(JAVA_LONG, 8, start);
        flock.set(JAVA_LONG, 16, len);
        flock.set(JAVA_INT, 24, 0); // pid must be 0 for OFD locks
    }

    /** socketpair(AF_UNIX, SOCK_STREAM); returns the two fds, or throws with errno. */
    public static int[] unixSocketPair() {
        try (Arena arena = Arena.ofConfined()) {
            Scratch s = SCRATCH.get();
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            int r = result((int) SOCKETPAIR.invokeExact(s.errno, 1, 1, 0, fds), s);
            if (r < 0) throw new IllegalStateException("socketpair failed: " + Errno.describe(r));
            return new int[] {fds.get(JAVA_INT, 0), fds.get(JAVA_INT, 4)};
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * Receives one file descriptor sent with SCM_RIGHTS over a unix socket; returns the fd,
     * 0 when the peer closed without sending one (callers treat it as failure), or -errno.
     */
    public static int receiveFd(int socket) {
        try (Arena arena = Arena.ofConfined()) {
            Scratch s = SCRATCH.get();
            MemorySegment data = arena.allocate(1);
            MemorySegment iov = arena.allocate(16, 8);
            iov.set(ADDRESS, 0, data);
            iov.set(JAVA_LONG, 8, 1L);
            MemorySegment control = arena.allocate(24, 8);
            MemorySegment msg = arena.allocate(56, 8);
            msg.set(ADDRESS, 16, iov);
            msg.set(JAVA_LONG, 24, 1L);
            msg.set(ADDRESS, 32, control);
            msg.set(JAVA_LONG, 40, 24L);
            long n;
            do {
                n = result((long) RECVMSG.invokeExact(s.errno, socket, msg, 0), s);
            } while (n == -Errno.EINTR);
            if (n <= 0) return (int) n;
            boolean rights = control.get(JAVA_INT, 8) == 1 && control.get(JAVA_INT, 12) == 1;
            return rights ? control.get(JAVA_INT, 16) : 0;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * Spawns {@code argv[0]} (searched in PATH) with {@code passFd} duplicated to descriptor
     * {@code childFd} in the child, something {@link ProcessBuilder} cannot do. Returns the pid.
     */
    public static int spawnWithFd(List<String> argv, List<String> env, int passFd, int childFd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment actions = arena.allocate(80, 8);
            check((int) SPAWN_ACTIONS_INIT.invokeExact(actions), "posix_spawn_file_actions_init");
            try {
                check((int) SPAWN_ACTIONS_ADDDUP2.invokeExact(actions, passFd, childFd), "posix_spawn_file_actions_adddup2");
                MemorySegment pid = arena.allocate(JAVA_INT);
                check((int) POSIX_SPAWNP.invokeExact(pid, arena.allocateFrom(argv.getFirst()), actions,
                        MemorySegment.NULL, stringArray(arena, argv), stringArray(arena, env)), "posix_spawnp " + argv.getFirst());
                return pid.get(JAVA_INT, 0);
            } finally {
                int ignored = (int) SPAWN_ACTIONS_DESTROY.invokeExact(actions);
            }
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static void check(int error, String what) {
        if (error != 0) throw new IllegalStateException(what + " failed: " + Errno.describe(error));
    }

    private static MemorySegment stringArray(Arena arena, List<String> strings) {
        MemorySegment array = arena.allocate(ADDRESS, strings.size() + 1L);
        for (int i = 0; i < strings.size(); i++) array.setAtIndex(ADDRESS, i, arena.allocateFrom(strings.get(i)));
        array.setAtIndex(ADDRESS, strings.size(), MemorySegment.NULL);
        return array;
    }

    /** Waits for a child; returns its exit status (or 128+signal), or -errno. */
    public static int waitpid(int pid) {
        try (Arena arena = Arena.ofConfined()) {
            Scratch s = SCRATCH.get();
            MemorySegment status = arena.allocate(JAVA_INT);
            int r;
            do {
                r = result((int) WAITPID.invokeExact(s.errno, pid, status, 0), s);
            } while (r == -Errno.EINTR);
            if (r < 0) return r;
            int st = status.get(JAVA_INT, 0);
            return (st & 0x7f) == 0 ? (st >> 8) & 0xff : 128 + (st & 0x7f);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int geteuid() {
        try {
            return (int) GETEUID.invokeExact();
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int getuid() {
        try {
            return (int) GETUID.invokeExact();
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int getgid() {
        try {
            return (int) GETGID.invokeExact();
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }
}
