package dev.litecluster.fuse;

import dev.litecluster.fuse.sys.Statx;

/**
 * File attributes sent to the kernel ({@code fuse_attr}) plus how long it may cache them.
 * A mutable reply struct, reused per reader thread: handlers fill it in.
 */
public final class Attributes {
    /** Reported as st_ino; independent of the nodeid. Keep it stable (SQLite checks it). */
    public long ino;
    public long size;
    /** In 512-byte units. */
    public long blocks;
    public long atimeSec;
    public int atimeNsec;
    public long mtimeSec;
    public int mtimeNsec;
    public long ctimeSec;
    public int ctimeNsec;
    /** File type and permission bits, as st_mode. */
    public int mode;
    public int nlink;
    public int uid;
    public int gid;
    public int rdev;
    /** 0 = the filesystem default. */
    public int blksize;
    /** How long the kernel may cache these attributes (attr_valid), in nanoseconds. */
    public long timeoutNanos;

    public Attributes set(Statx st) {
        ino = st.ino;
        size = st.size;
        blocks = st.blocks;
        atimeSec = st.atimeSec;
        atimeNsec = st.atimeNsec;
        mtimeSec = st.mtimeSec;
        mtimeNsec = st.mtimeNsec;
        ctimeSec = st.ctimeSec;
        ctimeNsec = st.ctimeNsec;
        mode = st.mode;
        nlink = st.nlink;
        uid = st.uid;
        gid = st.gid;
        rdev = (st.rdevMajor << 8) | st.rdevMinor;
        blksize = st.blksize;
        return this;
    }

    public void clear() {
        ino = size = blocks = atimeSec = mtimeSec = ctimeSec = timeoutNanos = 0;
        atimeNsec = mtimeNsec = ctimeNsec = mode = nlink = uid = gid = rdev = blksize = 0;
    }
}
