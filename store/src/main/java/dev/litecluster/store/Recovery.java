package dev.litecluster.store;

import dev.litecluster.ltx.Checksums;
import dev.litecluster.ltx.LtxDecoder;
import dev.litecluster.ltx.LtxHeader;
import dev.litecluster.ltx.Position;
import dev.litecluster.store.sqlite.DatabaseHeader;
import dev.litecluster.store.sqlite.Freelist;
import dev.litecluster.store.sqlite.HotJournal;
import dev.litecluster.store.sqlite.WalFollower;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;

/**
 * Brings a database's checksum state, log and files into agreement when it is opened: load the
 * persisted state, replay newer log records, finish writing records into the database file, play
 * back a hot journal left by a crash in a transaction that wrote the file (dropping the record of a
 * transaction it undoes), capture committed WAL frames the log lacks, and import a
 * database file that existed before the log.
 */
final class Recovery {
    private static final Logger LOG = LoggerFactory.getLogger(Recovery.class);

    private final Database database;
    private final TxLog log;
    private final StateFile.State saved;
    /** The position the state file holds: a recovery that ends there rewrites nothing (tens of MB for 10 GB). */
    private final Position savedPosition;

    /** {@code saved} is the state file as the database was opened with (null: none). */
    Recovery(Database database, StateFile.State saved) {
        this.database = database;
        this.log = database.log();
        this.saved = saved;
        this.savedPosition = saved == null ? null : new Position(saved.txid(), saved.checksums().checksum());
    }

    void run() throws IOException {
        loadState(saved);
        finishInterruptedApply();
        rollBackHotJournal();
        if (database.txid() == 0 && database.databaseChannel().size() > 0) {
            importExisting();
        }
        recoverWal();
        if (database.txid() > 0 && !database.position().equals(savedPosition)) {
            database.saveState();
        }
    }

    /** Restores {@code state} (null: none) and replays the log records after it. */
    private void loadState(StateFile.State state) throws IOException {
        long last = log.lastTxid();
        if (state != null && state.txid() <= last && state.txid() >= log.firstTxid() - 1) {
            database.restore(state.txid(), state.pageSize(), state.checksums());
            replay(state.txid() + 1, last);
        } else if (!log.isEmpty() && (log.firstTxid() == 1 || firstRecordIsSnapshot())) {
            database.restore(0, 0, new PageChecksums());
            replay(log.firstTxid(), last);
        } else if (!log.isEmpty()) {
            throw new IOException("database " + database.name() + ": checksum state is missing and the log starts at txid "
                    + log.firstTxid() + "; restore the node from a snapshot");
        } else {
            database.restore(0, 0, new PageChecksums());
        }
    }

    /** A replica's log starts with the snapshot it was given. */
    private boolean firstRecordIsSnapshot() throws IOException {
        return header(log.firstTxid()).isSnapshot();
    }

    @FunctionalInterface
    private interface PageVisitor {
        void visit(int pgno, byte[] page) throws IOException;
    }

    /** Decodes the record of {@code txid}, visiting each page; returns the decoder (header, trailer). */
    private LtxDecoder decode(long txid, PageVisitor visitor) throws IOException {
        try (InputStream in = log.read(txid)) {
            LtxDecoder decoder = new LtxDecoder(in);
            byte[] page = new byte[decoder.header().pageSize()];
            for (int p = decoder.nextPage(page); p != 0; p = decoder.nextPage(page)) {
                visitor.visit(p, page);
            }
            return decoder;
        }
    }

    private LtxHeader header(long txid) throws IOException {
        try (InputStream in = log.read(txid)) {
            return new LtxDecoder(in).header();
        }
    }

    private void replay(long from, long to) throws IOException {
        PageChecksums sums = database.checksums();
        int pageSize = database.pageSize();
        for (long t = from; t <= to; t++) {
            LtxHeader header = header(t);
            if (header.isSnapshot() || header.pageSize() != pageSize) {
                sums = new PageChecksums();
                pageSize = header.pageSize();
            }
            sums.resize(header.commit());
            PageChecksums target = sums;
            LtxDecoder decoder = decode(t, (p, page) -> target.set(p, Checksums.page(p, page, 0, page.length)));
            if (sums.checksum() != decoder.trailer().postApplyChecksum()) {
                throw new IOException("database " + database.name() + ": log record " + t
                        + " does not reach its post-apply checksum; the log is damaged");
            }
            database.restore(t, pageSize, sums);
        }
    }

    /**
     * Records the log holds may be missing from the database file (a replica's batch, a primary's
     * rollback-mode commits, whose pages follow the log, or its WAL transactions since the last
     * checkpoint, whose WAL was held in memory): write them again, from the one the apply marker
     * names, and delete the WAL (no app can have the database open before the mount exists).
     */
    private void finishInterruptedApply() throws IOException {
        long from = ApplyMarker.read(database.files().applying());
        if (from == 0) {
            return;
        }
        var db = database.databaseChannel();
        for (long t = Math.max(from, log.firstTxid()); t <= log.lastTxid(); t++) {
            LtxDecoder decoder = decode(t, (p, page) -> {
                ByteBuffer buffer = ByteBuffer.wrap(page);
                long position = (long) (p - 1) * page.length;
                while (buffer.hasRemaining()) {
                    position += db.write(buffer, position);
                }
            });
            db.truncate((long) decoder.header().commit() * decoder.header().pageSize());
        }
        db.force(false);
        Files.deleteIfExists(database.files().wal());
        Files.delete(database.files().applying());
        LOG.info("database {}: wrote txid {}..{} from the log into the database file (not all there when the node stopped)",
                database.name(), from, log.lastTxid());
    }

    /**
     * A hot journal is played back only when the spill marker says its transaction wrote into the
     * database file; otherwise that transaction's pages never left memory ({@link HeldWrites}), and
     * the journal, whose fsyncs were not passed on, is only deleted.
     */
    private void rollBackHotJournal() throws IOException {
        Path marker = database.files().spilled();
        boolean spilled = SpillMarker.isSet(marker);
        boolean hot = HotJournal.isHot(database.files().journal()) && database.databaseChannel().size() > 0;
        if (hot && spilled) {
            playBackHotJournal();
        } else if (hot) {
            Files.delete(database.files().journal());
            LOG.info("database {}: deleted the journal of a transaction a crash interrupted; none of its pages had reached the file",
                    database.name());
        }
        if (spilled) {
            try (SpillMarker cleared = new SpillMarker(marker)) {
                cleared.clear();
            }
        }
    }

    private void playBackHotJournal() throws IOException {
        int pageSize = database.pageSize() > 0 ? database.pageSize()
                : DatabaseHeader.read(database.databaseChannel()).pageSize();
        BitSet touched = HotJournal.rollback(database.files().journal(), database.databaseChannel(), pageSize,
                name -> Files.exists(database.files().superJournal(name)));
        if (database.txid() == 0) {
            return;
        }
        long last = database.txid();
        BitSet lastPages = pagesOf(last);
        if (!matchesDatabase(lastPages)) {
            log.truncateAfter(last - 1);
            loadState(database.stateFile().load()); // the replay above changed the loaded checksums in place
            // The state file may name the dropped TXID as synced: the record replacing it must not be trusted unread.
            database.saveState();
            LOG.warn("database {}: txid {} was rolled back by its hot journal after a crash; dropped it from the log",
                    database.name(), last);
        }
        touched.or(lastPages);
        DatabaseHeader header = DatabaseHeader.read(database.databaseChannel());
        // Freelist leaves the unfinished transaction reused were written without a journal copy.
        touched.or(Freelist.pages(database.databaseChannel(), header.pageSize()));
        database.capture(header.pageSize(), header.pages(database.databaseChannel().size()), touched,
                database::databasePage, Database.WalRange.NONE);
    }

    private BitSet pagesOf(long txid) throws IOException {
        BitSet pages = new BitSet();
        decode(txid, (p, page) -> pages.set(p));
        return pages;
    }

    private boolean matchesDatabase(BitSet pages) throws IOException {
        PageChecksums sums = database.checksums();
        byte[] page = new byte[database.pageSize()];
        for (int p = pages.nextSetBit(0); p >= 0; p = pages.nextSetBit(p + 1)) {
            database.readDatabasePage(p, page);
            if (Checksums.page(p, page, 0, page.length) != sums.page(p)) {
                return false;
            }
        }
        return true;
    }

    private void importExisting() throws IOException {
        DatabaseHeader header;
        try {
            header = DatabaseHeader.read(database.databaseChannel());
        } catch (IllegalArgumentException e) {
            throw new IOException("database " + database.name() + ": " + e.getMessage());
        }
        int commit = header.pages(database.databaseChannel().size());
        database.capture(header.pageSize(), commit, new BitSet(), database::databasePage, Database.WalRange.NONE);
        LOG.info("database {}: imported the existing file as txid {} ({} pages)", database.name(), database.txid(), commit);
    }

    /** Captures committed WAL transactions that the log does not have (a crash between the WAL write and the append). */
    private void recoverWal() throws IOException {
        if (!Files.exists(database.files().wal())) {
            return;
        }
        LtxHeader last = database.txid() > 0 ? header(database.txid()) : null;
        WalFollower follower = database.follower();
        List<WalFollower.Commit> commits = follower.scanFromStart();
        int recovered = 0;
        for (WalFollower.Commit commit : commits) {
            boolean logged = last != null && last.walSalt1() == commit.salt1() && last.walSalt2() == commit.salt2()
                    && commit.walOffset() < last.walOffset() + last.walSize();
            if (!logged) {
                long before = database.txid();
                database.captureWalCommit(commit);
                recovered += database.txid() > before ? 1 : 0;
            }
        }
        if (recovered > 0) {
            LOG.info("database {}: captured {} committed WAL transaction(s) missing from the log", database.name(), recovered);
        }
    }
}
