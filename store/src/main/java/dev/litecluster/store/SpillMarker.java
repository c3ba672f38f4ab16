package dev.litecluster.store;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Set, durably, while a rollback-mode transaction writes into its database file before its commit
 * (its writes outgrew {@link HeldWrites}, or it spans several databases): only then can a crash
 * leave uncommitted pages in the file, and recovery must play the hot journal back the way SQLite
 * would. A hot journal found without this marker belongs to a transaction whose pages never left
 * memory; it is deleted instead, for it may be torn (its fsyncs were not passed on).
 */
final class SpillMarker implements Closeable {
    private final MarkerFile file;
    private boolean set;

    SpillMarker(Path file) {
        this.file = new MarkerFile(file);
    }

    /** Whether a crash left the marker set. */
    static boolean isSet(Path file) throws IOException {
        return MarkerFile.read(file, "spill marker") == 1;
    }

    /** Durable before the transaction's first page reaches the database file. */
    void set() throws IOException {
        if (!set) {
            file.write(1, true);
            set = true;
        }
    }

    /** The transaction committed, or was played back (durable: a stale marker would play back a later, torn journal). */
    void clear() throws IOException {
        file.write(0, true);
        set = false;
    }

    boolean isSet() {
        return set;
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
