package dev.litecluster.fuse;

import dev.litecluster.fuse.sys.LibC;

/** Filesystem statistics for STATFS ({@code fuse_kstatfs}). */
public final class FsStats {
    public long blocks;
    public long blocksFree;
    public long blocksAvailable;
    public long files;
    public long filesFree;
    public int blockSize;
    public int nameLength;
    public int fragmentSize;

    /** Fills these statistics from {@code statvfs(path)}; returns 0 or -errno. */
    public int load(String path) {
        long[] v = new long[11];
        int r = LibC.statvfs(path, v);
        if (r < 0) {
            return r;
        }
        blockSize = (int) v[0];
        fragmentSize = (int) v[1];
        blocks = v[2];
        blocksFree = v[3];
        blocksAvailable = v[4];
        files = v[5];
        filesFree = v[6];
        nameLength = (int) v[10];
        return 0;
    }
}
