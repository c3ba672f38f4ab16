package dev.litecluster.fuse.sys;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/** The fields of a {@code struct statx} result, copied out of native memory; reusable per thread. */
public final class Statx {
    public int mode;
    public int nlink;
    public int uid;
    public int gid;
    public int blksize;
    public long ino;
    public long size;
    public long blocks;
    public long atimeSec;
    public int atimeNsec;
    public long mtimeSec;
    public int mtimeNsec;
    public long ctimeSec;
    public int ctimeNsec;
    public int rdevMajor;
    public int rdevMinor;
    public int devMajor;
    public int devMinor;

    void load(MemorySegment s) {
        blksize = s.get(JAVA_INT, 4);
        nlink = s.get(JAVA_INT, 16);
        uid = s.get(JAVA_INT, 20);
        gid = s.get(JAVA_INT, 24);
        mode = s.get(JAVA_SHORT, 28) & 0xffff;
        ino = s.get(JAVA_LONG, 32);
        size = s.get(JAVA_LONG, 40);
        blocks = s.get(JAVA_LONG, 48);
        atimeSec = s.get(JAVA_LONG, 64);
        atimeNsec = s.get(JAVA_INT, 72);
        ctimeSec = s.get(JAVA_LONG, 96);
        ctimeNsec = s.get(JAVA_INT, 104);
        mtimeSec = s.get(JAVA_LONG, 112);
        mtimeNsec = s.get(JAVA_INT, 120);
        rdevMajor = s.get(JAVA_INT, 128);
        rdevMinor = s.get(JAVA_INT, 132);
        devMajor = s.get(JAVA_INT, 136);
        devMinor = s.get(JAVA_INT, 140);
    }

    public boolean isDirectory() {
        return (mode & LibC.S_IFMT) == LibC.S_IFDIR;
    }
}
