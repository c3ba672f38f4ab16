package dev.litecluster.fuse;

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
}
