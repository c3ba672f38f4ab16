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
        sums[pgno - 1] = sum;
        checksum = Checksums.EMPTY | (checksum ^ old ^ sum);
    }

    /** Sets the database size; pages past it leave the checksum, new pages count as absent until set. */
    public void resize(int newPages) {
        for (int p = newPages; p < pages; p++) {
            checksum = Checksums.EMPTY | (checksum ^ sums[p]);
            sums[p] = 0;
        }
        if (newPages > sums.length) {
            sums = Arrays.copyOf(sums, Math.max(newPages, sums.length + sums.length / 2 + 16));
        }
        pages = newPages;
    }

    long[] raw() {
        return sums;
    }

    public PageChecksums copy() {
        return new PageChecksums(Arrays.copyOf(sums, pages), pages);
    }
}
