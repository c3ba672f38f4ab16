package dev.litecluster.store;

import dev.litecluster.ltx.Checksums;

import java.util.Arrays;

/**
 * The checksum of every page of one database and their XOR (the database checksum, DESIGN.md §3.1),
 * kept incrementally so a commit costs only the pages it touches.
 */
public final class PageChecksums {
    private long[] sums;
    private int pages;
    private long checksum = Checksums.EMPTY;
    /**
     * While changes are recorded: (index, old checksum) pairs of every entry changed, in order, and
     * the size and database checksum to go back to; null otherwise.
     */
    private long[] undo;
    private int undoLength;
    private int undoPages;
    private long undoChecksum;

    public PageChecksums() {
        this(new long[0], 0);
    }

    PageChecksums(long[] sums, int pages) {
        this.sums = sums;
        this.pages = pages;
        for (int p = 0; p < pages; p++) {
            checksum ^= sums[p] & ~Checksums.EMPTY;
        }
        checksum |= Checksums.EMPTY;
    }

    public int pages() {
        return pages;
    }

    public long checksum() {
        return checksum;
    }

    /** The stored checksum of a page, or 0 for a page beyond the end (or the lock page). */
    public long page(int pgno) {
        return pgno <= pages ? sums[pgno - 1] : 0;
    }

    /** Records a page's new checksum; the database grows to include it. */
    public void set(int pgno, long sum) {
        if (pgno > pages) {
            resize(pgno);
        }
        long old = sums[pgno - 1];
        remember(pgno - 1);
        sums[pgno - 1] = sum;
        checksum = Checksums.EMPTY | (checksum ^ old ^ sum);
    }

    /** Sets the database size; pages past it leave the checksum, new pages count as absent until set. */
    public void resize(int newPages) {
        for (int p = newPages; p < pages; p++) {
            checksum = Checksums.EMPTY | (checksum ^ sums[p]);
            remember(p);
            sums[p] = 0;
        }
        if (newPages > sums.length) {
            sums = Arrays.copyOf(sums, Math.max(newPages, sums.length + sums.length / 2 + 16));
        }
        pages = newPages;
    }

    /** From now on remembers what changes, until {@link #endChanges}, which can undo it. */
    public void recordChanges() {
        undo = new long[32];
        undoLength = 0;
        undoPages = pages;
        undoChecksum = checksum;
    }

    /** Stops recording; unless {@code keep}, first puts back every entry, the size and the checksum as they were. */
    public void endChanges(boolean keep) {
        if (!keep) {
            for (int i = undoLength - 2; i >= 0; i -= 2) {
                sums[(int) undo[i]] = undo[i + 1];
            }
            pages = undoPages;
            checksum = undoChecksum;
        }
        undo = null;
    }

    private void remember(int index) {
        if (undo != null) {
            if (undoLength == undo.length) {
                undo = Arrays.copyOf(undo, undoLength * 2);
            }
            undo[undoLength++] = index;
            undo[undoLength++] = sums[index];
        }
    }

    long[] raw() {
        return sums;
    }

}
