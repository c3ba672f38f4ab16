package dev.litecluster.store;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Names the first TXID whose pages may not be durable in the database file yet
 * ({@link DatabaseFiles#applying()}): replicated records, and on the primary rollback-mode commits
 * (their pages reach the file after the log, see {@link HeldWrites}). After a crash, recovery writes
 * the records from there on again from the log. It is set, and synced, before records are written
 * into the file when nothing is named; it moves on only after the database file was synced (a second
 * or so later, off the write path), so a power loss that keeps the log but not the pages the OS had
 * not written yet is repaired too. All zeros when nothing is pending.
 */
final class ApplyMarker implements Closeable {
    private final MarkerFile file;
    /** What the file names (0: nothing pending); this process starts after recovery, with nothing. */
    private long from;
    /** The file names {@link #from}, or an earlier TXID, even after a power loss (it was synced). */
    private boolean durable;

    ApplyMarker(Path file) {
        this.file = new MarkerFile(file);
    }

    /** The TXID a crash interrupted the writing of, or 0 when none was being written. */
    static long read(Path file) throws IOException {
        return MarkerFile.read(file, "apply marker");
    }

    /**
     * Records from {@code txid} on are about to be written into the database file; {@code durable}:
     * synced first, before any of their pages can reach the disk (else it guards against a crash
     * of this process only). An earlier TXID named already stays named, synced now if asked.
     */
    void cover(long txid, boolean durable) throws IOException {
        if (from == 0) {
            file.write(txid, durable);
            from = txid;
            this.durable = durable;
        } else if (durable && !this.durable) {
            file.write(from, true);
            this.durable = true;
        }
    }

    /**
     * The log is replaced by a snapshot of {@code txid} whose pages are about to be written into the
     * database file: named, synced, even if an earlier TXID was (recovery starts from the log's first).
     */
    void restartAt(long txid) throws IOException {
        file.write(txid, true);
        from = txid;
        durable = true;
    }

    /** Something is named. */
    boolean pending() {
        return from != 0;
    }

    /** What is named (0: nothing). */
    long from() {
        return from;
    }

    /**
     * The database file was synced holding everything up to {@code synced}; {@code applied} is the
     * newest TXID now. Usually not synced itself: a crash that loses this write leaves an earlier TXID
     * named, and recovery writes a few more records again; {@code durable} when that must not happen.
     * Moving on keeps a synced marker's guarantee: the disk names the earlier TXID or this one.
     */
    void synced(long synced, long applied, boolean durable) throws IOException {
        long next = applied > synced ? synced + 1 : 0;
        if (from != 0 && next != from) {
            file.write(next, durable);
            from = next;
            this.durable = next != 0 && (this.durable || durable);
        }
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
