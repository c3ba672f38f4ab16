package dev.litecluster.store.sqlite;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;

/**
 * The bytes of one WAL frame, the next one {@link WalFollower} validates, as far as they are known:
 * what the app's writes put there is copied from the writes themselves, the rest is read from the
 * file only when needed. A commit frame the app just wrote is then validated without reading it
 * back. Every write and truncate of the WAL must be reported, or the copy goes stale.
 */
final class FrameWindow {
    private static final int HEADER = WalFollower.FRAME_HEADER_SIZE;

    private final WalSource wal;
    private byte[] bytes = new byte[0];
    /** WAL offset of the frame, or -1: no frame. */
    private long start = -1;
    private boolean headerKnown;
    private boolean pageKnown;

    FrameWindow(WalSource wal) {
        this.wal = wal;
    }

    /** Forgets everything and takes frames of {@code frameSize} bytes from now on. */
    void resize(int frameSize) {
        if (bytes.length != frameSize) {
            bytes = new byte[frameSize];
        }
        forget();
    }

    void forget() {
        start = -1;
        headerKnown = false;
        pageKnown = false;
    }

    /** The frame (header, then page); valid in the parts loaded. */
    byte[] bytes() {
        return bytes;
    }

    /** Points the window at the frame starting at {@code frameStart}; a different frame starts unknown. */
    void moveTo(long frameStart) {
        if (frameStart != start) {
            start = frameStart;
            headerKnown = false;
            pageKnown = false;
        }
    }

    /** The file was cut to {@code size} bytes. */
    void truncated(long size) {
        if (start >= 0 && start + bytes.length > size) {
            forget();
        }
    }

    /**
     * The app wrote {@code data} at {@code offset}: copies the part that falls in the frame. A part
     * the write covers wholly is known from now on; one it covers partly stays as known as it was
     * (the copy keeps a known part current, an unknown one is read whole when needed).
     */
    void written(long offset, MemorySegment data) {
        long end = start + bytes.length;
        long from = Math.max(offset, start);
        long to = Math.min(offset + data.byteSize(), end);
        if (start < 0 || from >= to) {
            return;
        }
        MemorySegment.copy(data, ValueLayout.JAVA_BYTE, from - offset, bytes, (int) (from - start), (int) (to - from));
        headerKnown |= from == start && to >= start + HEADER;
        pageKnown |= from <= start + HEADER && to == end;
    }

    /**
     * Makes the frame header known, reading it (with the page, when that is unknown too) if needed;
     * false when the file ends inside the header.
     */
    boolean loadHeader() throws IOException {
        if (!headerKnown) {
            int n = read(0, pageKnown ? HEADER : bytes.length);
            headerKnown = n >= HEADER;
            pageKnown |= n == bytes.length;
        }
        return headerKnown;
    }

    /** Makes the page known, reading it if needed; false when the file ends inside it. */
    boolean loadPage() throws IOException {
        if (!pageKnown) {
            pageKnown = read(HEADER, bytes.length - HEADER) == bytes.length - HEADER;
        }
        return pageKnown;
    }

    /** Reads {@code bytes[from..from+length)} from the frame in the file; returns how many bytes it holds. */
    private int read(int from, int length) throws IOException {
        return wal.read(bytes, from, length, start + from);
    }

}
