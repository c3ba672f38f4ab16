package dev.litecluster.fuse;

/** The reply to OPEN, CREATE and OPENDIR: the handle and the per-open caching flags. */
public final class OpenResult {
    /** Opaque handle echoed back in later requests on this open file. */
    public long fh;
    /** FOPEN_DIRECT_IO: no page cache; each read/write syscall becomes exactly one request. */
    public boolean directIo;
    /** FOPEN_KEEP_CACHE: keep the inode's cached pages at this open (otherwise the open drops them). */
    public boolean keepCache;

    public void clear() {
        fh = 0;
        directIo = keepCache = false;
    }

    int openFlags() {
        return (directIo ? 1 : 0) | (keepCache ? 2 : 0);
    }
}
