package dev.litecluster.store;

import java.io.Closeable;
import java.io.IOException;

/**
 * Writes a replicated transaction into a replica's database files the way SQLite's own writer
 * would, under SQLite's locks so readers never see a half-applied state (DESIGN.md decision 7).
 */
public interface ReplicaWriter extends Closeable {

    /** Receives each page of the transaction once (its newest version), in no particular order. */
    @FunctionalInterface
    interface PageConsumer {
        void accept(int pgno, byte[] page) throws IOException;
    }

    /** Yields the transaction's pages (decoded from the verified LTX records). */
    @FunctionalInterface
    interface Pages {
        void forEach(PageConsumer consumer) throws IOException;
    }

    /**
     * Applies one transaction: writes every page from {@code pages}, makes the database exactly
     * {@code commit} pages long, and makes it visible to readers.
     */
    void write(int pageSize, int commit, Pages pages) throws IOException;

    /**
     * Ends a wait for SQLite's locks, now or later, with an IOException (the node stops being a
     * replica: an apply waiting behind a long read transaction must not outlive the role). Called
     * from another thread; the records stay in the log and are written again or dropped later.
     */
    default void stop() {
    }
}
