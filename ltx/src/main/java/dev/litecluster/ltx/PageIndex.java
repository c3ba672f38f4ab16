package dev.litecluster.ltx;

import java.util.AbstractList;
import java.util.Arrays;
import java.util.List;

/** The frames of one LTX file in file order, held in primitive arrays (one entry per page, no per-page objects). */
final class PageIndex {
    private int[] pgnos = new int[16];
    private long[] offsets = new long[16];
    private int[] sizes = new int[16];
    private int count;

    void add(int pgno, long offset, int size) {
        if (count == pgnos.length) {
            int n = count * 2;
            pgnos = Arrays.copyOf(pgnos, n);
            offsets = Arrays.copyOf(offsets, n);
            sizes = Arrays.copyOf(sizes, n);
        }
        pgnos[count] = pgno;
        offsets[count] = offset;
        sizes[count] = size;
        count++;
    }

    int count() {
        return count;
    }

    PageFrame get(int i) {
        return new PageFrame(pgnos[i], offsets[i], sizes[i]);
    }

    List<PageFrame> asList() {
        return new AbstractList<>() {
            @Override
            public PageFrame get(int i) {
                return PageIndex.this.get(i);
            }

            @Override
            public int size() {
                return count;
            }
        };
    }

    /** The on-disk index: uvarint triples, uvarint 0, then the u64 length of what precedes it. */
    byte[] encode() {
        byte[] b = new byte[count * 3 * Uvarint.MAX_LENGTH + 1 + LtxFormat.INDEX_LENGTH_SIZE];
        int p = 0;
        for (int i = 0; i < count; i++) {
            p = Uvarint.write(pgnos[i] & 0xFFFFFFFFL, b, p);
            p = Uvarint.write(offsets[i], b, p);
            p = Uvarint.write(sizes[i], b, p);
        }
        p = Uvarint.write(0, b, p);
        long length = p;
        for (int i = 7; i >= 0; i--) {
            b[p++] = (byte) (length >>> (8 * i));
        }
        return Arrays.copyOf(b, p);
    }
}
