package dev.litecluster.store.sqlite;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.BitSet;

/**
 * The pages on a database's freelist (trunks and leaves), read from the file. SQLite reuses a
 * freelist leaf without journaling it (its old content does not matter to SQLite), so a transaction
 * that crashed may have rewritten such pages, and rolling back its hot journal leaves them so.
 */
public final class Freelist {
    private static final int FIRST_TRUNK = 32;
    private static final int TOTAL_PAGES = 36;

    private Freelist() {
    }

    /** The freelist pages of the database in {@code db}; a damaged list is followed only as far as it is sound. */
    public static BitSet pages(FileChannel db, int pageSize) throws IOException {
        BitSet pages = new BitSet();
        ByteBuffer header = ByteBuffer.allocate(DatabaseHeader.SIZE);
        if (!read(db, header, 0)) {
            return pages;
        }
        long filePages = db.size() / pageSize;
        long remaining = Integer.toUnsignedLong(header.getInt(TOTAL_PAGES));
        int maxLeaves = pageSize / 4 - 2;
        ByteBuffer trunk = ByteBuffer.allocate(pageSize);
        for (int t = header.getInt(FIRST_TRUNK); t > 0 && t <= filePages && remaining > 0 && !pages.get(t); ) {
            pages.set(t);
            if (!read(db, trunk, (long) (t - 1) * pageSize)) {
                break;
            }
            int leaves = trunk.getInt(4);
            if (leaves < 0 || leaves > maxLeaves) {
                break;
            }
            for (int i = 0; i < leaves; i++) {
                int leaf = trunk.getInt(8 + 4 * i);
                if (leaf > 0 && leaf <= filePages) {
                    pages.set(leaf);
                }
            }
            remaining -= 1 + leaves;
            t = trunk.getInt(0);
        }
        return pages;
    }

    private static boolean read(FileChannel db, ByteBuffer into, long position) throws IOException {
        into.clear();
        while (into.hasRemaining()) {
            if (db.read(into, position + into.position()) < 0) {
                return false;
            }
        }
        return true;
    }
}
