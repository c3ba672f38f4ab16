package dev.litecluster.fs;

import dev.litecluster.fuse.Notifier;
import dev.litecluster.fuse.sys.Errno;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Keeps the kernel's page cache of a mounted file coherent after this process wrote the backing
 * file directly (DESIGN.md decision 7: "write the backing file and invalidate the kernel cache for
 * exactly those ranges"): each written range is pushed into the cache, so readers neither see
 * stale bytes nor have to read the pages back through the filesystem. Past {@link #MAX_PUSHED}
 * ranges (a snapshot) the file's cache is dropped whole instead.
 */
public final class MountPageCache {
    private static final int MAX_PUSHED = 256;

    private volatile LiteclusterFileSystem fs;
    private volatile Notifier notifier;

    /** Binds to the mounted filesystem; until then nothing is mounted, so nothing is cached. */
    public void attach(LiteclusterFileSystem fs, Notifier notifier) {
        this.fs = fs;
        this.notifier = notifier;
    }

    /**
     * The changes made to one file, pushed into the cache as they are made, from the calling thread
     * (never a request handler's); {@link #finish()} covers what could not be pushed.
     */
    public Update update(String name) {
        LiteclusterFileSystem mounted = fs;
        return new Update(mounted == null ? 0 : mounted.cachedNodeid(name));
    }

    public final class Update {
        private final long nodeid;
        private int pushed;
        private boolean dropWhole;

        private Update(long nodeid) {
            this.nodeid = nodeid;
        }

        /** The backing file now holds {@code data} at {@code offset}. */
        public void written(long offset, byte[] data) {
            if (nodeid == 0 || dropWhole) {
                return;
            }
            if (pushed == MAX_PUSHED) {
                dropWhole = true;
                return;
            }
            pushed++;
            int r = notifier.store(nodeid, offset, data);
            if (r != 0 && r != -Errno.ENOENT) { // ENOENT: the kernel no longer has the file, nothing cached
                dropWhole = true;
            }
        }

        /** Returns once the kernel caches nothing older than the backing file for the ranges written. */
        public void finish() throws IOException {
            if (nodeid == 0) {
                return;
            }
            if (dropWhole) {
                int r = outcome(notifier.invalidateData(nodeid, 0, 0));
                if (r != 0) {
                    throw new IOException("cannot drop the kernel's cache of a file written behind it: " + Errno.describe(r));
                }
            }
        }

        /** 0 when done, or when the kernel no longer has the file (nothing cached); else the failure. */
        private int outcome(CompletableFuture<Integer> notification) throws IOException {
            try {
                int r = notification.get();
                return r == -Errno.ENOENT ? 0 : r;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while updating the kernel's page cache");
            } catch (ExecutionException e) {
                return -Errno.EIO;
            }
        }
    }
}
