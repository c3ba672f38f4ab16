package dev.litecluster.store;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * What a running rollback-mode transaction wrote into its database file (and how it resized it),
 * held in memory until the commit instead of written: the file then only ever holds committed
 * pages, so no crash can leave in it a page the journal would have to undo. Reads see the file as
 * the app wrote it (with nothing held: the file itself). Kept in 512-byte units: SQLite writes
 * whole pages (512 to 65536 bytes) at offsets that are multiples of their size, and truncates to
 * whole pages.
 *
 * <p>Thread-safe on its own lock, never its database's: the filesystem reads through it and asks
 * its size from any thread, and a replica's apply holds the database's lock while it waits for
 * SQLite's locks, which a reader may hold.
 */
final class HeldWrites {
    static final int UNIT = 512;
    private static final int SHIFT = 9;
    /** Writes into the file are gathered up to this many bytes of consecutive units. */
    private static final int WRITE_CHUNK = 64 * 1024;

    private final Map<Long, byte[]> units = new HashMap<>();
    /** Gathers consecutive units for {@link #writeTo}. */
    private ByteBuffer chunk;
    /** Something is held; read without the lock by the filesystem's fast path. */
    private volatile boolean active;
    /** Moves when holding begins and before held pages are written or dropped: see {@link #changes}. */
    private volatile long changes;
    /** The file size the app sees. */
    private long size;
    /** Below this the file itself holds what the app sees where no unit is held; above it, zeros (a truncate). */
    private long fileValid;

    /** Whether a write or truncate of this shape can be held (else it goes to the file). */
    static boolean aligned(long offset, long length) {
        return ((offset | length) & (UNIT - 1)) == 0;
    }

    /** Something is held: the file differs from what the app sees. */
    boolean active() {
        return active;
    }

    /**
     * A counter that moves whenever what the app sees stops or starts being the file: a caller that
     * read the file's size itself compares it before and after, and if it moved (or something is
     * held) asks {@link #size} instead.
     */
    long changes() {
        return changes;
    }

    synchronized long bytes() {
        return (long) units.size() << SHIFT;
    }

    /** The file size the app sees. */
    synchronized long size(FileChannel file) throws IOException {
        return active ? size : file.size();
    }

    private void begin(FileChannel file) throws IOException {
        if (!active) {
            size = fileValid = file.size();
            changes++;
            active = true;
        }
    }

    /** Holds {@code data} written at {@code offset} ({@link #aligned}). */
    synchronized void write(long offset, MemorySegment data, FileChannel file) throws IOException {
        begin(file);
        for (long at = 0; at < data.byteSize(); at += UNIT) {
            byte[] unit = units.computeIfAbsent((offset + at) >>> SHIFT, u -> new byte[UNIT]);
            MemorySegment.copy(data, ValueLayout.JAVA_BYTE, at, unit, 0, UNIT);
        }
        size = Math.max(size, offset + data.byteSize());
    }

    /** Holds a resize to {@code newSize} bytes ({@link #aligned}); returns the size before. */
    synchronized long truncate(long newSize, FileChannel file) throws IOException {
        begin(file);
        long before = size;
        units.keySet().removeIf(unit -> unit >= newSize >>> SHIFT);
        size = newSize;
        fileValid = Math.min(fileValid, newSize);
        return before;
    }

    /**
     * Reads up to {@code length} bytes at {@code offset} as the app sees the file into {@code dst}.
     *
     * @return the bytes read: fewer at the end of the file
     */
    synchronized int read(long offset, MemorySegment dst, int length, FileChannel file) throws IOException {
        if (!active) {
            return readFile(file, offset, dst, length);
        }
        int n = (int) Math.max(0, Math.min(length, size - offset));
        int fromFile = readFile(file, offset, dst, (int) Math.max(0, Math.min(n, fileValid - offset)));
        dst.asSlice(fromFile, n - fromFile).fill((byte) 0);
        for (long unit = offset >>> SHIFT; n > 0 && unit <= (offset + n - 1) >>> SHIFT; unit++) {
            byte[] held = units.get(unit);
            if (held != null) {
                long start = Math.max(offset, unit << SHIFT);
                long end = Math.min(offset + n, (unit + 1) << SHIFT);
                MemorySegment.copy(held, (int) (start - (unit << SHIFT)), dst, ValueLayout.JAVA_BYTE, start - offset,
                        (int) (end - start));
            }
        }
        return n;
    }

    /** Reads up to {@code length} bytes of {@code file} at {@code offset} into {@code dst}; returns how many (fewer at its end). */
    private static int readFile(FileChannel file, long offset, MemorySegment dst, int length) throws IOException {
        ByteBuffer buffer = dst.asSlice(0, length).asByteBuffer();
        while (buffer.hasRemaining() && file.read(buffer, offset + buffer.position()) >= 0) {
            // until the requested bytes or the file's end
        }
        return buffer.position();
    }

    /** Page {@code pgno} as the app sees it, in {@code into} (one page; zeros past the end). */
    void readPage(int pgno, byte[] into, FileChannel file) throws IOException {
        int n = read((long) (pgno - 1) * into.length, MemorySegment.ofArray(into), into.length, file);
        Arrays.fill(into, n, into.length, (byte) 0);
    }

    /**
     * Writes everything held into the file (not synced), which then is what the app sees, and
     * forgets it; after a failure everything stays held.
     */
    synchronized void writeTo(FileChannel file) throws IOException {
        if (!active) {
            return;
        }
        changes++; // before the file changes: a size read from it meanwhile must not be believed
        if (file.size() > fileValid) {
            file.truncate(fileValid);
        }
        long[] order = units.keySet().stream().mapToLong(Long::longValue).sorted().toArray();
        if (chunk == null) {
            chunk = ByteBuffer.allocateDirect(WRITE_CHUNK);
        }
        chunk.clear(); // a failed write may have left bytes in it
        long chunkStart = 0;
        for (long unit : order) {
            long at = unit << SHIFT;
            if (chunk.position() > 0 && (at != chunkStart + chunk.position() || !chunk.hasRemaining())) {
                writeFully(file, chunk, chunkStart);
            }
            if (chunk.position() == 0) {
                chunkStart = at;
            }
            chunk.put(units.get(unit));
        }
        writeFully(file, chunk, chunkStart);
        if (file.size() > size) {
            file.truncate(size);
        } else if (file.size() < size) {
            writeFully(file, ByteBuffer.allocate(1).position(1), size - 1); // grown by a resize: the end reads as zeros
        }
        units.clear();
        active = false;
    }

    /** Forgets everything held: the transaction rolled back, or will never commit. */
    synchronized void discard() {
        if (active) {
            changes++;
            units.clear();
            active = false;
        }
    }

    /** Writes what was put into {@code chunk} at {@code position}, and empties it. */
    private static void writeFully(FileChannel file, ByteBuffer chunk, long position) throws IOException {
        chunk.flip();
        while (chunk.hasRemaining()) {
            file.write(chunk, position + chunk.position());
        }
        chunk.clear();
    }
}
