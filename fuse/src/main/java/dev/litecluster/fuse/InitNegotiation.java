package dev.litecluster.fuse;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

/**
 * FUSE_INIT: agrees on the protocol version and the capabilities this server wants.
 * Never POSIX_LOCKS/FLOCK_LOCKS (the kernel then enforces fcntl/flock locks itself, which is what
 * SQLite needs and keeps reads fast) and never WRITEBACK_CACHE (every write(2) must arrive as its
 * own WRITE, at syscall time, with the caller's pid).
 */
final class InitNegotiation {
    static final int MAJOR = 7;
    /** The newest minor whose layouts this implementation encodes. */
    static final int MINOR = 45;

    static final long ASYNC_READ = 1L;
    static final long ATOMIC_O_TRUNC = 1L << 3;
    static final long BIG_WRITES = 1L << 5;
    static final long DO_READDIRPLUS = 1L << 13;
    static final long READDIRPLUS_AUTO = 1L << 14;
    static final long PARALLEL_DIROPS = 1L << 18;
    static final long ABORT_ERROR = 1L << 21;
    static final long MAX_PAGES = 1L << 22;
    static final long EXPLICIT_INVAL_DATA = 1L << 25;
    static final long INIT_EXT = 1L << 30;
    static final long DIRECT_IO_ALLOW_MMAP = 1L << 36;

    static final long WANTED = ASYNC_READ | ATOMIC_O_TRUNC | BIG_WRITES | DO_READDIRPLUS | READDIRPLUS_AUTO
            | PARALLEL_DIROPS | ABORT_ERROR | MAX_PAGES | EXPLICIT_INVAL_DATA | INIT_EXT | DIRECT_IO_ALLOW_MMAP;
    /** fs.fuse.max_pages_limit default. */
    static final int MAX_PAGES_LIMIT = 256;

    /** What was agreed: the reply minor, the flags, and the largest WRITE payload. */
    record Negotiated(int minor, long flags, int maxWrite, int maxReadahead) {
        boolean has(long flag) {
            return (flags & flag) != 0;
        }
    }

    private InitNegotiation() {}

    static Negotiated negotiate(int kernelMinor, int maxReadahead, long offered, int maxWrite) {
        int minor = Math.min(kernelMinor, MINOR);
        long flags = WANTED & offered;
        // Without MAX_PAGES a request carries at most 32 pages whatever max_write says.
        int write = (flags & MAX_PAGES) != 0 ? Math.min(maxWrite, MAX_PAGES_LIMIT * 4096) : Math.min(maxWrite, 32 * 4096);
        return new Negotiated(minor, flags, write, maxReadahead);
    }

    /** Parses {@code fuse_init_in} at {@code at}; returns null when the kernel's major is not 7. */
    static Negotiated negotiate(MemorySegment in, long at, int payloadLength, int maxWrite) {
        int major = in.get(JAVA_INT_UNALIGNED, at);
        if (major != MAJOR) return null;
        int minor = in.get(JAVA_INT_UNALIGNED, at + 4);
        int readahead = in.get(JAVA_INT_UNALIGNED, at + 8);
        long offered = Integer.toUnsignedLong(in.get(JAVA_INT_UNALIGNED, at + 12));
        if ((offered & INIT_EXT) != 0 && payloadLength >= 20) {
            offered |= Integer.toUnsignedLong(in.get(JAVA_INT_UNALIGNED, at + 16)) << 32;
        }
        return negotiate(minor, readahead, offered, maxWrite);
    }

    /** Writes {@code fuse_init_out}, sized for the kernel's minor; returns its length. */
    static int encode(MemorySegment out, long at, Negotiated n) {
        int length = n.minor() < 5 ? 8 : n.minor() < 23 ? 24 : 64;
        out.asSlice(at, length).fill((byte) 0);
        out.set(JAVA_INT_UNALIGNED, at, MAJOR);
        out.set(JAVA_INT_UNALIGNED, at + 4, n.minor());
        if (length == 8) return length;
        out.set(JAVA_INT_UNALIGNED, at + 8, n.maxReadahead());
        out.set(JAVA_INT_UNALIGNED, at + 12, (int) n.flags());
        out.set(JAVA_INT_UNALIGNED, at + 20, n.maxWrite());
        if (length == 24) return length;
        out.set(JAVA_INT_UNALIGNED, at + 24, 1); // time_gran: nanoseconds
        out.set(JAVA_SHORT_UNALIGNED, at + 28, (short) Math.max(1, n.maxWrite() / 4096));
        out.set(JAVA_INT_UNALIGNED, at + 32, (int) (n.flags() >>> 32));
        return length;
    }

    /** The reply to a kernel with a newer major: our major only; it then sends a new INIT. */
    static int encodeMajorOnly(MemorySegment out, long at) {
        out.set(JAVA_INT_UNALIGNED, at, MAJOR);
        out.set(JAVA_INT_UNALIGNED, at + 4, MINOR);
        return 8;
    }
}
