package dev.litecluster.fuse;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/** Encoders for the reply structs shared by several replies (x86_64 little-endian layouts). */
final class Wire {
    static final int IN_HEADER = 40;
    static final int OUT_HEADER = 16;
    static final int ATTR = 88;
    static final int ENTRY_OUT = 128;
    static final int ATTR_OUT = 104;
    static final int OPEN_OUT = 16;
    static final long NANOS = 1_000_000_000L;

    private Wire() {}

    static void putAttr(MemorySegment s, long at, Attributes a) {
        s.set(JAVA_LONG_UNALIGNED, at, a.ino);
        s.set(JAVA_LONG_UNALIGNED, at + 8, a.size);
        s.set(JAVA_LONG_UNALIGNED, at + 16, a.blocks);
        s.set(JAVA_LONG_UNALIGNED, at + 24, a.atimeSec);
        s.set(JAVA_LONG_UNALIGNED, at + 32, a.mtimeSec);
        s.set(JAVA_LONG_UNALIGNED, at + 40, a.ctimeSec);
        s.set(JAVA_INT_UNALIGNED, at + 48, a.atimeNsec);
        s.set(JAVA_INT_UNALIGNED, at + 52, a.mtimeNsec);
        s.set(JAVA_INT_UNALIGNED, at + 56, a.ctimeNsec);
        s.set(JAVA_INT_UNALIGNED, at + 60, a.mode);
        s.set(JAVA_INT_UNALIGNED, at + 64, a.nlink);
        s.set(JAVA_INT_UNALIGNED, at + 68, a.uid);
        s.set(JAVA_INT_UNALIGNED, at + 72, a.gid);
        s.set(JAVA_INT_UNALIGNED, at + 76, a.rdev);
        s.set(JAVA_INT_UNALIGNED, at + 80, a.blksize);
        s.set(JAVA_INT_UNALIGNED, at + 84, 0);
    }

    static void putEntry(MemorySegment s, long at, Entry e) {
        s.set(JAVA_LONG_UNALIGNED, at, e.nodeid);
        s.set(JAVA_LONG_UNALIGNED, at + 8, e.generation);
        s.set(JAVA_LONG_UNALIGNED, at + 16, e.entryTimeoutNanos / NANOS);
        s.set(JAVA_LONG_UNALIGNED, at + 24, e.attributes.timeoutNanos / NANOS);
        s.set(JAVA_INT_UNALIGNED, at + 32, (int) (e.entryTimeoutNanos % NANOS));
        s.set(JAVA_INT_UNALIGNED, at + 36, (int) (e.attributes.timeoutNanos % NANOS));
        putAttr(s, at + 40, e.attributes);
    }

    static void putAttrOut(MemorySegment s, long at, Attributes a) {
        s.set(JAVA_LONG_UNALIGNED, at, a.timeoutNanos / NANOS);
        s.set(JAVA_INT_UNALIGNED, at + 8, (int) (a.timeoutNanos % NANOS));
        s.set(JAVA_INT_UNALIGNED, at + 12, 0);
        putAttr(s, at + 16, a);
    }

    static void putOpenOut(MemorySegment s, long at, OpenResult o) {
        s.set(JAVA_LONG_UNALIGNED, at, o.fh);
        s.set(JAVA_INT_UNALIGNED, at + 8, o.openFlags());
        s.set(JAVA_INT_UNALIGNED, at + 12, 0);
    }
}
