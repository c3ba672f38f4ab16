package dev.litecluster.fuse;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/** The attributes a SETATTR asks to change ({@code fuse_setattr_in}); only the present ones apply. */
public final class SetattrRequest {
    private static final int MODE = 1, UID = 2, GID = 4, SIZE = 8, ATIME = 0x10, MTIME = 0x20, FH = 0x40,
            ATIME_NOW = 0x80, MTIME_NOW = 0x100;

    private int valid;
    private long fh, size, atimeSec, mtimeSec;
    private int atimeNsec, mtimeNsec, mode, uid, gid;

    void load(MemorySegment in, long at) {
        valid = in.get(JAVA_INT_UNALIGNED, at);
        fh = in.get(JAVA_LONG_UNALIGNED, at + 8);
        size = in.get(JAVA_LONG_UNALIGNED, at + 16);
        atimeSec = in.get(JAVA_LONG_UNALIGNED, at + 32);
        mtimeSec = in.get(JAVA_LONG_UNALIGNED, at + 40);
        atimeNsec = in.get(JAVA_INT_UNALIGNED, at + 56);
        mtimeNsec = in.get(JAVA_INT_UNALIGNED, at + 60);
        mode = in.get(JAVA_INT_UNALIGNED, at + 68);
        uid = in.get(JAVA_INT_UNALIGNED, at + 76);
        gid = in.get(JAVA_INT_UNALIGNED, at + 80);
    }

    /** Builds a request in code (tests, or filesystems delegating to one another). */
    public static SetattrRequest ofSize(long size) {
        SetattrRequest r = new SetattrRequest();
        r.valid = SIZE;
        r.size = size;
        return r;
    }

    private boolean has(int bit) {
        return (valid & bit) != 0;
    }

    public boolean hasFh() { return has(FH); }
    public long fh() { return fh; }
    public boolean hasSize() { return has(SIZE); }
    public long size() { return size; }
    public boolean hasMode() { return has(MODE); }
    /** Permission bits only (the file type bits are masked off). */
    public int mode() { return mode & 07777; }
    public boolean hasUid() { return has(UID); }
    public int uid() { return uid; }
    public boolean hasGid() { return has(GID); }
    public int gid() { return gid; }
    public boolean hasAtime() { return has(ATIME) || has(ATIME_NOW); }
    public boolean atimeNow() { return has(ATIME_NOW); }
    public long atimeSec() { return atimeSec; }
    public int atimeNsec() { return atimeNsec; }
    public boolean hasMtime() { return has(MTIME) || has(MTIME_NOW); }
    public boolean mtimeNow() { return has(MTIME_NOW); }
    public long mtimeSec() { return mtimeSec; }
    public int mtimeNsec() { return mtimeNsec; }
}
