package dev.litecluster.ltx;

/**
 * The page rules of one LTX file, shared by encoder and decoder: page numbers strictly ascending within
 * 1..commit, never the lock page, and a snapshot holds every other page 1..commit.
 */
final class PageSequence {
    private final LtxHeader header;
    private int last;

    PageSequence(LtxHeader header) {
        this.header = header;
    }

    int last() {
        return last;
    }

    /** Accepts the next page; {@code where} locates it in messages (may be empty). */
    void accept(int pgno, String where) throws LtxException {
        if (pgno <= 0 || pgno > header.commit()) {
            throw new LtxException("page " + Integer.toUnsignedString(pgno) + where + " is outside 1..commit " + header.commit());
        }
        if (pgno <= last) {
            throw new LtxException("page " + pgno + where + " follows page " + last + ": pages must be strictly ascending");
        }
        if (pgno == header.lockPage()) {
            throw new LtxException("page " + pgno + where + " is the lock page, which is never stored");
        }
        if (header.isSnapshot() && pgno != nextSnapshotPage()) {
            throw new LtxException("snapshot is missing page " + nextSnapshotPage() + " (next page is " + pgno + ")");
        }
        last = pgno;
    }

    void checkComplete() throws LtxException {
        if (header.isSnapshot() && nextSnapshotPage() <= header.commit()) {
            throw new LtxException("snapshot is missing pages " + nextSnapshotPage() + ".." + header.commit()
                    + " (it must hold every page up to commit)");
        }
    }

    private int nextSnapshotPage() {
        int next = last + 1;
        return next == header.lockPage() ? next + 1 : next;
    }
}
