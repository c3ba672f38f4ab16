package dev.litecluster.store;

import dev.litecluster.store.sqlite.WalSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A primary's WAL, held in memory instead of written into its file: each WAL transaction then
 * costs no write into the backing file (two per transaction, a frame header and a page: a third of
 * a one-row transaction's time through the mount). Safe because every transaction committed in it
 * is in the log before the commit's write returns, and the apply marker names the first of them
 * until a checkpoint has put them all into the database file; after a crash, recovery writes them
 * into the database file from the log and deletes the (empty) WAL file. See {@code Database#holdWalWrite}.
 *
 * <p>Holding starts with a WAL whose file is empty, and stops when the WAL is deleted, or, by a
 * spill, when it grows past {@link #LIMIT} (or the WALs of all databases past {@link #ALL_LIMIT}) or
 * its node stops being primary: what it held is written into the file, which takes every later
 * write, as before. The memory stays while the WAL does: SQLite rewrites it in place.
 *
 * <p>Thread-safe on its own lock, never its database's: the filesystem reads through it from any
 * thread, on any role (see {@code HeldWrites}).
 */
final class HeldWal {
    /** The most a WAL may hold in memory (SQLite's default checkpoint keeps it near 4 MiB). */
    static final long LIMIT = 64L << 20;
    /** The most all databases' WALs may hold together: 256 MiB, or a quarter of the heap if less. */
    static final long ALL_LIMIT = Math.min(256L << 20, Runtime.getRuntime().maxMemory() / 4);
    private static final AtomicLong ALL = new AtomicLong();
    private static final int CHUNK_SHIFT = 16;
    private static final int CHUNK = 1 << CHUNK_SHIFT;
    private static final byte[] ZEROS = new byte[CHUNK];

    private final List<byte[]> chunks = new ArrayList<>();
    /** The WAL is in memory; read without the lock by the filesystem's fast path. */
    private volatile boolean holding;
    /** Moves when holding starts or stops: a caller that read the file's size itself compares it before and after. */
    private volatile long changes;
    /** The WAL's size as the app sees it. */
    private long size;

    boolean holding() {
        return holding;
    }

    long changes() {
        return changes;
    }

    /** Starts holding an empty WAL. */
    synchronized void start() {
        if (!holding) {
            size = 0;
            changes++;
            holding = true;
        }
    }

    /** Holds {@code data} written at {@code offset}; false when not holding, or when it would pass {@link #LIMIT} (then spill). */
    synchronized boolean write(long offset, MemorySegment data) {
        long end = offset + data.byteSize();
        if (!holding || end > LIMIT || !reach(end)) {
            return false;
        }
        for (long done = 0; done < data.byteSize(); ) {
            long at = offset + done;
            int in = (int) (at & (CHUNK - 1));
            int n = (int) Math.min(CHUNK - in, data.byteSize() - done);
            MemorySegment.copy(data, ValueLayout.JAVA_BYTE, done, chunks.get((int) (at >>> CHUNK_SHIFT)), in, n);
            done += n;
        }
        size = Math.max(size, end);
        return true;
    }

    /** Reads up to {@code length} bytes at {@code offset} into {@code dst}; -1 when not holding (read the file). */
    synchronized int read(long offset, MemorySegment dst, int length) {
        if (!holding) {
            return -1;
        }
        int n = (int) Math.max(0, Math.min(length, size - offset));
        for (int done = 0; done < n; ) {
            long at = offset + done;
            int in = (int) (at & (CHUNK - 1));
            int k = Math.min(CHUNK - in, n - done);
            MemorySegment.copy(chunk(at), in, dst, ValueLayout.JAVA_BYTE, done, k);
            done += k;
        }
        return n;
    }

    /** {@link #read(long, MemorySegment, int)} into an array, or from {@code file} when not holding. */
    synchronized int read(byte[] into, int from, int length, long position, WalSource file) throws IOException {
        return holding ? read(position, MemorySegment.ofArray(into).asSlice(from, length), length)
                : file.read(into, from, length, position);
    }

    /** The WAL's size as the app sees it; -1 when not holding (its file's size). */
    synchronized long size() {
        return holding ? size : -1;
    }

    /** The app cut the WAL to {@code newSize} bytes; the memory past it is let go. */
    synchronized void truncate(long newSize) {
        if (!holding) {
            return;
        }
        if (newSize < size) {
            int keep = (int) Math.min(chunks.size(), (newSize + CHUNK - 1) >>> CHUNK_SHIFT);
            release(chunks.size() - keep);
            chunks.subList(keep, chunks.size()).clear();
            if (keep > 0 && keep > newSize >>> CHUNK_SHIFT) { // the last kept chunk is cut: zeros past the end
                Arrays.fill(chunks.get(keep - 1), (int) (newSize & (CHUNK - 1)), CHUNK, (byte) 0);
            }
        }
        size = newSize; // grown: zeros, in chunks not allocated until written
    }

    /** Allocates the chunks up to {@code end} (zeros); false when all WALs together would pass {@link #ALL_LIMIT}. */
    private boolean reach(long end) {
        int more = (int) ((end + CHUNK - 1) >>> CHUNK_SHIFT) - chunks.size();
        if (more <= 0) {
            return true;
        }
        if (ALL.addAndGet((long) more << CHUNK_SHIFT) > ALL_LIMIT) {
            ALL.addAndGet(-((long) more << CHUNK_SHIFT));
            return false;
        }
        for (int i = 0; i < more; i++) {
            chunks.add(new byte[CHUNK]);
        }
        return true;
    }

    /** The chunk holding byte {@code at} (zeros past the allocated ones: a WAL grown by a truncate). */
    private byte[] chunk(long at) {
        int index = (int) (at >>> CHUNK_SHIFT);
        return index < chunks.size() ? chunks.get(index) : ZEROS;
    }

    private void release(int count) {
        ALL.addAndGet(-((long) count << CHUNK_SHIFT));
    }

    /** Writes what is held into {@code file} (from offset 0) and stops holding: the file takes every later write. */
    synchronized void spill(FileChannel file) throws IOException {
        if (!holding) {
            return;
        }
        for (long at = 0; at < size; ) {
            int n = (int) Math.min(CHUNK, size - at);
            ByteBuffer buffer = ByteBuffer.wrap(chunk(at), 0, n);
            while (buffer.hasRemaining()) {
                file.write(buffer, at + buffer.position());
            }
            at += n;
        }
        stop();
    }

    /** Forgets what is held and stops holding (the WAL was deleted, or written into the file). */
    synchronized void stop() {
        if (holding) {
            changes++;
            holding = false;
        }
        release(chunks.size());
        chunks.clear();
        size = 0;
    }
}
