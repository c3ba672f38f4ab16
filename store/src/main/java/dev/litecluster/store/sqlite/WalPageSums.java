package dev.litecluster.store.sqlite;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.BitSet;

/**
 * The WAL checksum, from (0, 0), of the page part of each frame slot of the WAL file, as the app
 * last wrote it. When SQLite writes a frame header over a page left by an earlier WAL generation,
 * whether that makes the frame valid follows from the header and the old page's sum
 * ({@link WalChecksum#append}): the old page need not be read back. Slots whose page was not wholly
 * written since the sums began, or was cut off, are unknown. Every write and truncate of the WAL
 * must be reported, or the sums go stale.
 */
final class WalPageSums {
    /** Slots past this many (a WAL over 256 MiB with 4 KiB pages) are not tracked. */
    private static final int MAX_SLOTS = 1 << 16;

    private final int pageSize;
    private final ByteOrder order;
    private final int frameSize;
    private long[] sums = new long[64];
    private final BitSet known = new BitSet();

    WalPageSums(int pageSize, ByteOrder order) {
        this.pageSize = pageSize;
        this.order = order;
        this.frameSize = WalFollower.FRAME_HEADER_SIZE + pageSize;
    }

    /** True when these sums are for frames of {@code pageSize} in byte order {@code order}. */
    boolean fits(int pageSize, ByteOrder order) {
        return this.pageSize == pageSize && this.order == order;
    }

    /** The slot of the frame starting at {@code frameStart}. */
    long slot(long frameStart) {
        return (frameStart - WalFollower.HEADER_SIZE) / frameSize;
    }

    private long pageStart(long slot) {
        return WalFollower.HEADER_SIZE + slot * frameSize + WalFollower.FRAME_HEADER_SIZE;
    }

    /** The sum of the page in {@code slot}, or null when it is unknown. */
    WalChecksum get(long slot) {
        if (slot >= MAX_SLOTS || !known.get((int) slot)) {
            return null;
        }
        long sum = sums[(int) slot];
        return new WalChecksum((int) (sum >>> 32), (int) sum);
    }

    void set(long slot, WalChecksum sum) {
        if (slot >= MAX_SLOTS) {
            return;
        }
        int i = (int) slot;
        if (i >= sums.length) {
            sums = java.util.Arrays.copyOf(sums, Math.min(MAX_SLOTS, Math.max(i + 1, sums.length * 2)));
        }
        sums[i] = (long) sum.s0() << 32 | (sum.s1() & 0xffffffffL);
        known.set(i);
    }

    /** The app wrote {@code data} at {@code offset}: each page it covers wholly gets the sum of its new bytes; one it covers partly becomes unknown. */
    void written(long offset, MemorySegment data) {
        long end = offset + data.byteSize();
        long first = Math.max(0, slot(offset - pageSize));
        for (long slot = first; slot < MAX_SLOTS; slot++) {
            long page = pageStart(slot);
            if (page >= end) {
                break;
            }
            if (page + pageSize <= offset) {
                continue;
            }
            if (page >= offset && page + pageSize <= end) {
                set(slot, new WalChecksum(0, 0).update(data, page - offset, pageSize, order));
            } else {
                known.clear((int) slot);
            }
        }
    }

    /** The file was cut to {@code size} bytes: pages past it are gone. */
    void truncated(long size) {
        long slot = Math.max(0, slot(size) - 1);
        while (pageStart(slot) + pageSize <= size) {
            slot++;
        }
        if (slot < MAX_SLOTS) {
            known.clear((int) slot, MAX_SLOTS);
        }
    }
}
