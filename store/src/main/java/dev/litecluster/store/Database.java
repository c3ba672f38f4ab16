package dev.litecluster.store;

import dev.litecluster.ltx.Checksums;
import dev.litecluster.ltx.Crc64;
import dev.litecluster.ltx.LtxDecoder;
import dev.litecluster.ltx.LtxEncoder;
import dev.litecluster.ltx.LtxHeader;
import dev.litecluster.ltx.PageCompression;
import dev.litecluster.ltx.Position;
import dev.litecluster.store.sqlite.DatabaseHeader;
import dev.litecluster.store.sqlite.WalFollower;
import dev.litecluster.store.sqlite.WalSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One database on the primary: turns the file operations SQLite makes into transactions, one LTX
 * record each, appended to the log inside the request that completes the commit (DESIGN.md
 * decisions 4 and 5). The filesystem calls the event methods after passing the write through to
 * the backing file and before replying to the app.
 */
public final class Database implements Closeable {
    /** Database-file writes are tracked in units of the smallest page size; page size is known only at commit. */
    private static final int UNIT_SHIFT = 9;
    private static final Logger LOG = LoggerFactory.getLogger(Database.class);
    /** How long pages written after the log (replicated, or held until a commit) stay unsynced in the database file, named by the apply marker. */
    private static final long FLUSH_APPLIED_AFTER_MILLIS = 1_000;
    /**
     * The most a rollback-mode transaction may write into its database file before its commit and
     * still be held in memory ({@link HeldWrites}); a bigger one spills into the file.
     */
    static final long HELD_LIMIT = 16L << 20;
    /** Runs {@link #flushApplied()} of every database. */
    private static final ScheduledExecutorService FLUSHES = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("db-flush").factory());

    private final DatabaseFiles files;
    private final ApplyMarker applying;
    private final SpillMarker spill;
    /** The running transaction's database-file writes; the filesystem reads through it without this database's lock. */
    private final HeldWrites held = new HeldWrites();
    /** The app's WAL, held in memory on the primary; the filesystem reads through it on any role. */
    private final HeldWal heldWal = new HeldWal();
    /**
     * The first TXID captured from the WAL since its last checkpoint (0: none): the apply marker
     * names it, for until SQLite restarts, truncates or deletes its WAL the database file may lack
     * those transactions' pages, and a crash may take the (held) WAL with it.
     */
    private long walFrom;
    /**
     * The TXID of a snapshot whose pages are being, or failed to be, written into the database file
     * (0: none): from it on the file holds nothing reliable until that write succeeds.
     */
    private long snapshotFrom;
    /** Counts snapshots applied: a background flush that saw the file before one must not move the marker after it. */
    private long snapshots;
    /**
     * The TXIDs of a replicated batch whose write into the database file failed after it began
     * writing pages (null: none): the file may hold some of them, so this node captures nothing of its
     * own (if promoted) until a later batch, or a restart, writes them all from the log.
     */
    private String unappliedBatch;
    /** The app wrote its rollback journal since the last commit: a rollback-mode transaction runs. */
    private boolean journalActive;
    /** The app asked for an fsync during the running held transaction; its commit syncs the log. */
    private boolean syncWanted;
    /**
     * The first TXID written into the file by a commit that asked for no fsync, since the file was
     * last synced (0: none): a later commit that syncs the log makes it durable there too, so its
     * apply marker must name it.
     */
    private long unsyncedFrom;
    /**
     * Why committed pages could not be written into the database file (null: they could). The log
     * has them and the apply marker names them, so a restart repairs the file; until then the held
     * pages keep serving reads and nothing else is written.
     */
    private String unwritable;
    /** A {@link #flushApplied()} is scheduled or running. */
    private boolean flushing;
    private boolean closed;
    private final long nodeId;
    private final TxLog log;
    private final StateFile stateFile;
    private final FileChannel db;
    private final BitSet dirtyUnits = new BitSet();
    private PageChecksums sums = new PageChecksums();
    private volatile Position published = Position.ZERO;
    private int pageSize;
    private long txid;
    private FileChannel wal;
    private WalFollower follower;
    private byte[] page = new byte[0];
    private byte[] ltxFrame = new byte[0];
    private Runnable changes = () -> { };

    Database(DatabaseFiles files, long nodeId, TxLog log) throws IOException {
        this.files = files;
        this.applying = new ApplyMarker(files.applying());
        this.spill = new SpillMarker(files.spilled());
        this.nodeId = nodeId;
        this.log = log;
        this.stateFile = new StateFile(files.state());
        this.db = FileChannel.open(files.database(), StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
    }

    /** Opens a database directory: loads its state, replays the log, and recovers from a crash. */
    public static Database open(DatabaseFiles files, long nodeId) throws IOException {
        return open(files, nodeId, TxLog.SEGMENT_AGE);
    }

    /** Opens a database directory whose log rolls to a new segment after {@code segmentAge}. */
    public static Database open(DatabaseFiles files, long nodeId, java.time.Duration segmentAge) throws IOException {
        Files.createDirectories(files.dir());
        StateFile.State saved = new StateFile(files.state()).load();
        Database database = new Database(files, nodeId,
                TxLog.open(files.log(), TxLog.SEGMENT_LIMIT, segmentAge, saved == null ? 0 : saved.txid()));
        try {
            new Recovery(database, saved).run();
        } catch (IOException | RuntimeException e) {
            database.close();
            throw e;
        }
        return database;
    }

    /** Called after every change of position (the store wakes replication streams with it). */
    void onChange(Runnable listener) {
        this.changes = listener;
    }

    public String name() {
        return files.name();
    }

    public DatabaseFiles files() {
        return files;
    }

    public TxLog log() {
        return log;
    }

    /**
     * The current position, without taking this database's lock: the filesystem serves {@code -pos}
     * from it, and a replica's apply holds the lock while it writes through the mount (a lookup
     * waiting for the lock would hold the directory the apply's open needs: a deadlock).
     */
    public Position position() {
        return published;
    }

    /** Publishes the position after {@code txid} or {@code sums} changed (under this database's lock). */
    private void publishPosition() {
        published = new Position(txid, txid == 0 ? 0 : sums.checksum());
    }

    public synchronized int pageSize() {
        return pageSize;
    }

    // ---- capture events -------------------------------------------------------------------------

    /** The app wrote {@code length} bytes at {@code offset} of the database file (not held). */
    public synchronized void databaseWritten(long offset, long length) throws IOException {
        if (length <= 0) {
            return;
        }
        if (!walActive()) { // in WAL mode only checkpoints write the file: their pages were captured already
            markDirty(offset, length);
        }
    }

    private void markDirty(long offset, long length) {
        dirtyUnits.set((int) (offset >>> UNIT_SHIFT), (int) ((offset + length - 1) >>> UNIT_SHIFT) + 1);
    }

    /** The app wrote its rollback journal (other than the header zeroing that commits PERSIST mode): a transaction runs. */
    public synchronized void journalWritten() throws IOException {
        requireCapturable();
        if (!walActive()) {
            journalActive = true;
        }
    }

    /** Whether the running transaction's database writes are held (it has a journal and did not spill). */
    private boolean holds() {
        return journalActive && !spill.isSet() && !walActive();
    }

    /**
     * The app writes {@code data} at {@code offset} of the database file. While a rollback-mode
     * transaction runs, the write is held until its commit and true returned ({@link HeldWrites});
     * false: the caller writes the file, then reports it to {@link #databaseWritten}. A write that
     * cannot be held, more than {@link #HELD_LIMIT}, or a transaction over several databases
     * ({@code multiDatabase}: a super-journal exists; its commit point is the super-journal's
     * deletion, which recovery can only honour in the files) spills the transaction into the file.
     */
    public synchronized boolean holdDatabaseWrite(long offset, MemorySegment data, boolean multiDatabase) throws IOException {
        requireCapturable();
        if (!holds()) {
            if (walFrom != 0 && walActive()) {
                // A checkpoint: its pages must not reach the disk before their records (SQLite synced
                // the WAL, and so the log, first, unless synchronous=OFF).
                log.sync();
            }
            return false;
        }
        long length = data.byteSize();
        if (multiDatabase || !HeldWrites.aligned(offset, length) || held.bytes() + length > HELD_LIMIT) {
            spill();
            return false;
        }
        held.write(offset, data, db);
        markDirty(offset, length);
        return true;
    }

    private void requireWritable() throws IOException {
        if (unwritable != null) {
            throw new IOException("database " + name() + ": " + unwritable);
        }
    }

    /**
     * {@link #requireWritable}, for the app's writes on the primary: refused from the first one (a
     * refusal at the commit would leave a hot journal that every later connection stumbles on).
     */
    private void requireCapturable() throws IOException {
        requireWritable();
        if (unappliedBatch != null) {
            throw new IOException("database " + name() + ": the replicated " + unappliedBatch
                    + " could not be written into the database file; restart the node to write it from the log");
        }
    }

    /** The app resizes the database file: held like a write (true), else the caller resizes the file. */
    public synchronized boolean holdDatabaseResize(long size) throws IOException {
        requireCapturable();
        if (!holds()) {
            return false;
        }
        if (!HeldWrites.aligned(size, 0)) {
            spill();
            return false;
        }
        long before = held.truncate(size, db);
        if (size != before) {
            markDirty(Math.min(size, before), Math.abs(size - before)); // shrunk and grown again: zeros
        }
        return true;
    }

    /**
     * A super-journal was created: a transaction over several databases is committing, whose commit
     * point is the super-journal's deletion; recovery can honour that only in the files, so a
     * transaction holding writes here spills them now (its later writes see the super-journal).
     */
    public synchronized void superJournalCreated() throws IOException {
        if (unwritable == null && holds() && held.active()) {
            spill();
        }
    }

    /**
     * The app asks for an fsync of its database file or journal. During a held transaction it is
     * not passed on (true: reply at once): nothing of the transaction is in the file, and its
     * journal will never be played back, so its commit syncs the log instead — one fsync where
     * SQLite asks for three or four. Otherwise (false) the caller syncs the file, beside
     * {@link #appSyncing}.
     */
    public synchronized boolean deferSync() {
        if (!holds()) {
            return false;
        }
        syncWanted = true;
        return true;
    }

    /** Whether database-file reads must go through {@link #readDatabase}: asked without any lock. */
    public boolean holding() {
        return held.active();
    }

    /** {@link HeldWrites#changes}: a size read from the backing file is believed only if this did not move. */
    public long heldChanges() {
        return held.changes();
    }

    /** Reads the database file as the app wrote it; fewer bytes than {@code length} at its end. Never waits for this database's lock. */
    public int readDatabase(long offset, MemorySegment dst, int length) throws IOException {
        return held.read(offset, dst, length, db);
    }

    /** The database file's size as the app sees it. Never waits for this database's lock. */
    public long databaseSize() throws IOException {
        return held.size(db);
    }

    /**
     * The running transaction starts writing into the database file: first its journal is made
     * durable, as SQLite made sure it was before writing these pages, and the marker that tells
     * recovery to play it back is set.
     */
    private void spill() throws IOException {
        if (Files.exists(files.journal())) {
            try (FileChannel journal = FileChannel.open(files.journal(), StandardOpenOption.READ)) {
                journal.force(true);
            }
            MarkerFile.syncDirectory(files.dir());
        }
        spill.set();
        try {
            held.writeTo(db);
        } finally {
            // On a failure part of it may be in the file: the app's rollback (its journal is durable,
            // the marker set) writes the pages back there, and reads must see the file.
            held.discard();
        }
        LOG.info("database {}: a transaction writes its pages before its commit (over {} MiB, or several databases)",
                name(), HELD_LIMIT >> 20);
    }

    /** Forgets a running transaction's held writes: the node stopped being primary, or closes. */
    private void discardHeld() {
        held.discard();
        journalActive = false;
        syncWanted = false;
    }

    /**
     * The rollback journal was finalized (unlinked, truncated to 0, or its header zeroed): the commit
     * point of a rollback-mode transaction. A rollback ends the same way; its pages equal their
     * previous versions and produce no record.
     */
    public synchronized void journalFinalized() throws IOException {
        requireWritable();
        boolean spilled = spill.isSet();
        boolean sync = syncWanted;
        journalActive = false;
        long before = txid;
        boolean wasPending = applying.pending();
        try {
            captureRollback(); // syncWanted still says whether the record's marker is synced (see append)
        } finally {
            syncWanted = false;
            // Also when the capture failed: a record that reached the log must reach the file.
            if (txid == before) {
                discardHeld(); // no record (a rollback, or a failure): the file holds the committed pages
            } else if (held.active()) {
                writeHeld(sync, wasPending);
            }
        }
        if (spilled) {
            log.sync();
            spill.clear();
        }
    }

    /**
     * Writes a just-logged transaction's held pages into the database file, after the log is synced
     * if the app asked for any fsync. The apply marker, which names the transaction, moves on once the
     * file is synced, a second later, or at once when nothing was asked to be durable
     * ({@code wasPending}: it named something before this transaction). A failure leaves the database
     * refusing writes until a restart, which repairs the file from the log.
     */
    private void writeHeld(boolean sync, boolean wasPending) throws IOException {
        IOException failure = null;
        if (sync) {
            try {
                log.sync();
            } catch (IOException e) {
                failure = e;
            }
        }
        try {
            held.writeTo(db); // kept held after a failure: reads must not see a half-written file
        } catch (IOException | RuntimeException e) {
            refuseWrites("committed pages could not be written into the database file", e);
            throw e;
        }
        if (sync || wasPending) {
            scheduleFlush();
        } else {
            applying.synced(txid, txid, false); // in the page cache: all a crash of this process needs
            unsyncedFrom = unsyncedFrom == 0 ? txid : unsyncedFrom;
        }
        if (failure != null) {
            refuseWrites("the log could not be synced", failure);
            throw failure; // a failed fsync may have dropped what it was given: later ones prove nothing
        }
    }

    private void refuseWrites(String what, Exception cause) {
        unwritable = what + " (" + cause.getMessage() + "); restart the node to repair the database file from the log";
        LOG.error("database {}: {}", name(), unwritable);
    }

    private void captureRollback() throws IOException {
        if (dirtyUnits.isEmpty()) {
            return;
        }
        DatabaseHeader header = viewedHeader();
        if (header == null) {
            dirtyUnits.clear();
            return;
        }
        int size = header.pageSize();
        int commit = header.pages(held.size(db));
        BitSet candidates = new BitSet();
        for (int unit = dirtyUnits.nextSetBit(0); unit >= 0; unit = dirtyUnits.nextSetBit(unit + 1)) {
            candidates.set((int) (((long) unit << UNIT_SHIFT) / size) + 1);
        }
        dirtyUnits.clear();
        capture(size, commit, candidates, this::viewedPage, WalRange.NONE);
    }

    /** The database header as the app sees it (held writes over the file), or null when the file is shorter than one. */
    private DatabaseHeader viewedHeader() throws IOException {
        byte[] first = new byte[DatabaseHeader.SIZE];
        return held.read(0, MemorySegment.ofArray(first), first.length, db) < first.length ? null : DatabaseHeader.parse(first);
    }

    /** {@link #viewedHeader} for a page, as a {@link PageReader}. */
    private byte[] viewedPage(int pgno, byte[] scratch) throws IOException {
        held.readPage(pgno, scratch, db);
        return scratch;
    }

    /**
     * The app writes {@code data} at {@code offset} of the WAL (on the primary): returns true when it
     * is held ({@link HeldWal}), false for the caller to write the file; either way it then reports
     * the write to {@link #walWritten}. Holding starts with the header of a WAL whose file is empty;
     * a WAL that outgrows {@link HeldWal#LIMIT} spills into its file.
     */
    public synchronized boolean holdWalWrite(long offset, MemorySegment data) throws IOException {
        requireCapturable();
        if (offset < WalFollower.HEADER_SIZE) {
            walCheckpointed(); // SQLite writes a new header only when every frame is in the database file
            if (!heldWal.holding() && offset == 0 && walFileEmpty()) {
                heldWal.start();
            }
        }
        if (heldWal.write(offset, data)) {
            return true;
        }
        if (heldWal.holding()) {
            spillWal("it outgrew the memory WALs may hold: " + (HeldWal.LIMIT >> 20) + " MiB each, "
                    + (HeldWal.ALL_LIMIT >> 20) + " MiB together");
        }
        return false;
    }

    private boolean walFileEmpty() throws IOException {
        try {
            return Files.size(files.wal()) == 0;
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    /** Writes the held WAL into its file, which takes every later write. */
    private void spillWal(String why) throws IOException {
        try (FileChannel file = FileChannel.open(files.wal(), StandardOpenOption.WRITE)) {
            heldWal.spill(file);
        }
        LOG.info("database {}: its WAL is written into its file from now on ({})", name(), why);
    }

    /**
     * Every WAL transaction captured so far is in the database file: SQLite restarts, truncates or
     * deletes its WAL only after a checkpoint that copied every frame. The log, then the file, are
     * synced (SQLite did both, with the WAL and the checkpoint, unless synchronous=OFF: a file that
     * power loss left ahead of its log would diverge from it), and the apply marker moves past them.
     */
    private void walCheckpointed() throws IOException {
        if (walFrom != 0) {
            log.sync();
            db.force(false);
            walFrom = 0;
            applying.synced(inFile(), newest(), false);
        }
    }

    /** The newest TXID whose pages the database file has (synced or not): WAL transactions reach it at a checkpoint. */
    private long inFile() {
        long in = walFrom != 0 ? walFrom - 1 : txid;
        return snapshotFrom != 0 ? Math.min(in, snapshotFrom - 1) : in;
    }

    /** The newest TXID the apply marker may have to name: one logged, applied or being captured from the WAL. */
    private long newest() {
        return Math.max(Math.max(txid, log.lastTxid()), walFrom);
    }

    /** {@link HeldWal#changes}: a WAL size read from its file is believed only if this did not move. */
    public long heldWalChanges() {
        return heldWal.changes();
    }

    /** Reads the held WAL; -1 when it is not held (read the file). Never waits for this database's lock. */
    public int readWal(long offset, MemorySegment dst, int length) {
        return heldWal.read(offset, dst, length);
    }

    /** The WAL as the app wrote it: held, or in {@code file} (its file, opened by the caller). Never waits for this database's lock. */
    public WalSource walAsWritten(FileChannel file) {
        WalSource written = WalSource.of(file);
        return (into, from, length, position) -> heldWal.read(into, from, length, position, written);
    }

    /** The held WAL's size; -1 when it is not held (the file's size). Never waits for this database's lock. */
    public long walSize() {
        return heldWal.size();
    }

    /**
     * The app wrote {@code data} at {@code offset} of the WAL (read during the call only): captures
     * every transaction whose commit frame is now valid, and says whether there was one.
     */
    public synchronized boolean walWritten(long offset, MemorySegment data) throws IOException {
        WalFollower wf = follower();
        List<WalFollower.Commit> commits = wf.afterWrite(offset, data);
        for (WalFollower.Commit commit : commits) {
            captureWalCommit(commit);
            wf.release(commit);
        }
        return !commits.isEmpty();
    }

    void captureWalCommit(WalFollower.Commit commit) throws IOException {
        BitSet candidates = new BitSet();
        commit.pageOffsets().keySet().forEach(candidates::set);
        capture(follower.pageSize(), commit.commitPages(), candidates, (pgno, scratch) -> {
            byte[] page = follower.page(commit, pgno, scratch);
            return page != null ? page : databasePage(pgno, scratch);
        }, new WalRange(commit.walOffset(), commit.walSize(), commit.salt1(), commit.salt2()));
    }

    /** The WAL was truncated to {@code size} bytes: every committed frame was captured when it was written. */
    public synchronized void walTruncated(long size) throws IOException {
        heldWal.truncate(size);
        if (follower != null) {
            follower.truncated(size);
        }
        if (size == 0) {
            walCheckpointed();
        }
    }

    /** The WAL was deleted (the last connection closed, or the database left WAL mode). */
    public synchronized void walRemoved() throws IOException {
        heldWal.stop();
        forgetWal();
        walCheckpointed();
    }

    /** Drops what the follower knows of the WAL file (it keeps some of its bytes and sums). */
    private void forgetWal() throws IOException {
        if (wal != null) {
            wal.close();
            wal = null;
        }
        follower = null;
    }

    /**
     * The app asked for durability (fsync of any of its files): the log must be durable before that
     * fsync returns. Its sync starts now, beside the app's; await it before replying.
     */
    public TxLog.PendingSync appSyncing() {
        return log.syncAsync();
    }

    // ---- internals shared with Recovery ---------------------------------------------------------

    boolean walActive() {
        return follower != null && follower.active();
    }

    WalFollower follower() throws IOException {
        if (follower == null) {
            wal = FileChannel.open(files.wal(), StandardOpenOption.READ);
            follower = new WalFollower(walAsWritten(wal));
        }
        return follower;
    }

    FileChannel databaseChannel() {
        return db;
    }

    long txid() {
        return txid;
    }

    PageChecksums checksums() {
        return sums;
    }

    StateFile stateFile() {
        return stateFile;
    }

    void restore(long txid, int pageSize, PageChecksums sums) {
        this.txid = txid;
        this.pageSize = pageSize;
        this.sums = sums;
        publishPosition();
    }

    /** Reads page {@code pgno} of the backing database file; bytes past its end read as zeros. */
    void readDatabasePage(int pgno, byte[] into) throws IOException {
        readFully(db, into, into.length, (long) (pgno - 1) * into.length);
    }

    /** {@link #readDatabasePage} as a {@link PageReader}. */
    byte[] databasePage(int pgno, byte[] scratch) throws IOException {
        readDatabasePage(pgno, scratch);
        return scratch;
    }

    /** Where a WAL transaction sits in the WAL, recorded in its LTX header for crash recovery. */
    record WalRange(long offset, long size, int salt1, int salt2) {
        static final WalRange NONE = new WalRange(0, 0, 0, 0);
    }

    @FunctionalInterface
    interface PageReader {
        /** Page {@code pgno}: in {@code scratch} (one page), or in an array of the reader's own, not to be changed. */
        byte[] read(int pgno, byte[] scratch) throws IOException;
    }

    /**
     * Appends one transaction: every candidate page (plus pages the database grew by) whose checksum
     * changed, the database size {@code commit}, and the checksums before and after. A transaction
     * that changed nothing (a rollback, a padding frame) produces no record. The first record, and a
     * page size change, carry every page.
     */
    synchronized void capture(int size, int commit, BitSet candidates, PageReader reader, WalRange walRange) throws IOException {
        requireCapturable(); // also here: the app's writes were held, or went to the WAL, before it
        dropUnappliedRecords();
        boolean full = txid == 0 || size != pageSize;
        int oldPages = full ? 0 : sums.pages();
        if (full) {
            candidates.set(1, commit + 1);
        } else if (commit > oldPages) {
            candidates.set(oldPages + 1, commit + 1);
        }
        candidates.clear(commit + 1, Math.max(commit + 1, candidates.length()));
        candidates.clear(Checksums.lockPage(size));
        if (page.length != size) {
            page = new byte[size];
            ltxFrame = new byte[LtxEncoder.frameBufferSize(size)];
        }
        long next = txid + 1;
        long pre = txid == 0 ? 0 : sums.checksum();
        int[] changedPages = new int[candidates.cardinality()];
        long[] changedSums = new long[changedPages.length];
        int changed = 0;
        long post = full ? Checksums.EMPTY : sums.checksum();
        for (int p = commit + 1; p <= oldPages; p++) {
            post = Checksums.EMPTY | (post ^ sums.page(p));
        }
        TxLog.Append out = null;
        LtxEncoder encoder = null;
        for (int p = candidates.nextSetBit(1); p >= 0; p = candidates.nextSetBit(p + 1)) {
            byte[] bytes = reader.read(p, page);
            long crc = Crc64.update(0, bytes, 0, size);
            long sum = Checksums.pageFromCrc(p, crc, size);
            long old = full ? 0 : sums.page(p);
            if (!full && p <= oldPages && sum == old) {
                continue;
            }
            if (encoder == null) {
                out = append(next, walRange);
                encoder = encoder(out, header(size, commit, next, pre, walRange));
            }
            encoder.writePage(p, bytes, 0, crc);
            post = Checksums.EMPTY | (post ^ old ^ sum);
            changedPages[changed] = p;
            changedSums[changed++] = sum;
        }
        if (encoder == null) {
            if (commit == oldPages) {
                return;
            }
            out = append(next, walRange);
            encoder = encoder(out, header(size, commit, next, pre, walRange));
        }
        encoder.finish(post);
        out.commit(); // in the OS before the commit's write returns: a crash of this process keeps it
        if (full) {
            sums = new PageChecksums();
        }
        sums.resize(commit);
        for (int i = 0; i < changed; i++) {
            sums.set(changedPages[i], changedSums[i]);
        }
        pageSize = size;
        txid = next;
        publishPosition();
        changes.run();
        if (sums.checksum() != post) {
            throw new IllegalStateException("checksum bookkeeping diverged at txid " + next);
        }
    }

    /**
     * Starts the record of {@code next}. A record whose pages reach the database file only after it
     * (a held rollback commit; the first WAL transaction since the last checkpoint) is named in the
     * apply marker first, before any byte of it reaches the log's file (the OS may write it out at
     * any time): a crash may take the pages (held in memory) but never the marker. Rollback commits
     * that asked for no fsync since the file was last synced reach the disk with this log's next
     * sync, so they are named too. The marker is synced for WAL transactions, and for a held commit
     * when the app asked for an fsync (without one, a kill -9 still finds it, and power loss is
     * what the app accepted).
     */
    private TxLog.Append append(long next, WalRange walRange) throws IOException {
        if (walRange != WalRange.NONE && walFrom == 0) {
            applying.cover(unsyncedFrom != 0 ? unsyncedFrom : next, true);
            walFrom = next;
        } else if (walRange == WalRange.NONE && held.active()) {
            applying.cover(syncWanted && unsyncedFrom != 0 ? unsyncedFrom : next, syncWanted);
        }
        return log.append(next);
    }

    private LtxEncoder encoder(TxLog.Append out, LtxHeader header) throws IOException {
        return new LtxEncoder(out, header, PageCompression.LZ4, ltxFrame);
    }

    private LtxHeader header(int size, int commit, long next, long pre, WalRange wal) {
        return new LtxHeader(0, size, commit, next, next, System.currentTimeMillis(), pre,
                wal.offset(), wal.size(), wal.salt1(), wal.salt2(), nodeId);
    }

    /**
     * Deletes log segments older than {@code keepMillis} whose records are all below
     * {@code neededFrom} (the oldest TXID a replica or the backup still needs), and below what the
     * apply marker names (recovery may have to write it into the database file). The checksum state
     * is saved first, so a restart never needs a deleted record.
     *
     * @return the number of segments deleted
     */
    public int enforceRetention(long keepMillis, long neededFrom) throws IOException {
        long keepFrom;
        synchronized (this) {
            saveState();
            keepFrom = Math.min(neededFrom, txid + 1);
            if (applying.pending()) {
                keepFrom = Math.min(keepFrom, applying.from()); // recovery may have to write them into the file
            }
            if (unsyncedFrom != 0) {
                keepFrom = Math.min(keepFrom, unsyncedFrom); // the marker may have to name them
            }
        }
        return log.deleteBefore(keepFrom, System.currentTimeMillis() - keepMillis);
    }

    // ---- replication ----------------------------------------------------------------------------

    /**
     * What a snapshot must contain, fixed at one moment: the position, the size, and (in WAL mode)
     * how much of the WAL is committed; frames past {@code walEnd} belong to later transactions.
     */
    public record SnapshotPoint(Position position, int pageSize, int pages, boolean walMode, long walEnd) {
    }

    public synchronized SnapshotPoint snapshotPoint() {
        boolean walMode = walActive();
        return new SnapshotPoint(position(), pageSize, sums.pages(), walMode, walMode ? follower.committedEnd() : 0);
    }

    /**
     * The database checksum after {@code txid}, or null when the log no longer (or never) had it:
     * the primary compares it with a replica's position to tell "behind" from "diverged".
     */
    public Long checksumAt(long txid) throws IOException {
        synchronized (this) {
            if (txid == this.txid) {
                return position().checksum();
            }
            if (!log.contains(txid)) {
                return null;
            }
        }
        // The post-apply checksum is the first half of the 16-byte LTX trailer.
        try (InputStream in = log.read(txid)) {
            in.skipNBytes(log.length(txid) - 16);
            return ByteBuffer.wrap(in.readNBytes(8)).getLong();
        }
    }

    /**
     * Applies records received from the primary (a replica's only way to change), oldest first:
     * each file is verified whole and must continue from the previous one (the first from this
     * database's position, unless it is a snapshot); all are made durable in this node's own log
     * with one fsync, then written by {@code writer} in one go (the newest version of each page),
     * and the result must reach the last record's post-apply checksum. A mismatch is a
     * {@link DivergenceException}: ask for a snapshot.
     */
    public synchronized void applyReplicated(List<? extends StagedRecord> records, ReplicaWriter writer) throws IOException {
        requireWritable(); // committed pages it holds would be lost
        forgetWal(); // a replica's WAL changes without capture events: a follower from before would be stale
        discardHeld(); // a transaction that was running when this node stopped being primary never commits
        if (heldWal.holding()) {
            spillWal("the node is no longer primary"); // for the app's readers, until the apply empties it
        }
        List<LtxHeader> headers = new ArrayList<>(records.size());
        long expectedTxid = txid + 1;
        long expectedChecksum = position().checksum();
        long post = 0;
        for (StagedRecord record : records) {
            LtxHeader header;
            try (InputStream in = record.open()) {
                LtxDecoder decoder = new LtxDecoder(in);
                header = decoder.header();
                post = decoder.verify().postApplyChecksum();
            }
            boolean fits = header.isSnapshot() ? headers.isEmpty()
                    : header.minTxid() == expectedTxid && header.preApplyChecksum() == expectedChecksum;
            if (!fits || (!headers.isEmpty() && header.pageSize() != headers.getFirst().pageSize())) {
                throw new DivergenceException("record %d-%d starts at %016x, this replica is at %d/%016x".formatted(
                        header.minTxid(), header.maxTxid(), header.preApplyChecksum(), expectedTxid - 1, expectedChecksum));
            }
            headers.add(header);
            expectedTxid = header.maxTxid() + 1;
            expectedChecksum = post;
        }
        if (headers.isEmpty()) {
            return;
        }
        if (unappliedBatch != null && !headers.getFirst().isSnapshot()) {
            // A shorter batch, or another history, would not rewrite all of its pages, and a restart
            // could no longer: the log keeps it until a snapshot replaces the file.
            throw new DivergenceException("the database file holds part of the replicated " + unappliedBatch
                    + ", whose write failed; a snapshot repairs it");
        }
        LtxHeader first = headers.getFirst();
        LtxHeader last = headers.getLast();
        // This node's own WAL transactions since the last checkpoint, from when it was primary, may be
        // missing from the database file: written with the first batch, as the apply empties the WAL.
        List<StagedRecord> written = new ArrayList<>();
        for (long t = walFrom; walFrom != 0 && !first.isSnapshot() && t <= txid; t++) {
            long own = t;
            written.add(() -> log.read(own));
        }
        written.addAll(records);
        // Named before the log holds the batch: a crash from here on leaves recovery to write every
        // record of the log from the marker on into the file (one the log lacks never reached the file).
        if (first.isSnapshot()) {
            // The log first, so that a crash before the marker names the snapshot finds no old record
            // to write from it on; the marker then names it whatever it named before.
            log.truncateAfter(0);
            applying.restartAt(first.maxTxid());
            walFrom = 0;
            snapshotFrom = first.maxTxid();
            snapshots++;
        } else {
            applying.cover(first.maxTxid(), true);
            if (log.lastTxid() > txid) {
                log.truncateAfter(txid); // left by a batch whose write into the database failed: it comes again
            }
        }
        for (int i = 0; i < records.size(); i++) {
            TxLog.Append out = log.append(headers.get(i).maxTxid());
            try (InputStream in = records.get(i).open()) {
                in.transferTo(out);
            }
            out.commit();
        }
        log.sync();
        boolean fresh = first.isSnapshot() || first.pageSize() != pageSize;
        PageChecksums next = fresh ? new PageChecksums() : sums;
        if (!fresh) {
            // Changed in place (a copy costs O(database pages) per batch), and undone if the write fails.
            next.recordChanges();
        }
        boolean done = false;
        AtomicBoolean touched = new AtomicBoolean();
        try {
            next.resize(last.commit());
            writeReplicated(written, first.pageSize(), last.commit(), next, writer, touched);
            done = true;
            snapshotFrom = 0;
            unappliedBatch = null;
        } finally {
            if (!fresh) {
                next.endChanges(done);
            }
            if (!done && touched.get()) {
                unappliedBatch = "txid " + first.minTxid() + ".." + last.maxTxid();
            }
        }
        walFrom = 0;
        sums = next;
        pageSize = first.pageSize();
        txid = last.maxTxid();
        publishPosition();
        changes.run();
        scheduleFlush();
        if (sums.checksum() != expectedChecksum) {
            throw new DivergenceException("after applying txid %d the checksum is %016x, the primary had %016x".formatted(
                    txid, sums.checksum(), expectedChecksum));
        }
    }

    /** While the apply marker names something: syncs the database file a second from now (under this database's lock). */
    private void scheduleFlush() {
        if (!flushing && !closed && applying.pending() && walFrom == 0) { // WAL transactions wait for a checkpoint
            flushing = true;
            FLUSHES.schedule(this::flushApplied, FLUSH_APPLIED_AFTER_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Syncs the database file and moves the apply marker past what it then held,
     * again a second later while batches keep coming. Records the log holds beyond the database (a
     * batch whose write failed) keep the marker before them.
     */
    private void flushApplied() {
        boolean synced = false;
        try {
            long written;
            long snapshotsBefore;
            synchronized (this) {
                if (closed || unwritable != null) {
                    return;
                }
                written = inFile();
                snapshotsBefore = snapshots;
            }
            db.force(false);
            synchronized (this) {
                if (!closed && unwritable == null && snapshots == snapshotsBefore) {
                    applying.synced(written, newest(), false);
                    unsyncedFrom = unsyncedFrom <= written ? 0 : unsyncedFrom;
                    synced = true;
                }
            }
        } catch (ClosedChannelException e) {
            // closed meanwhile: close() synced it
        } catch (IOException e) {
            LOG.warn("database {}: could not sync the pages written after the log ({}); recovery writes them again after a crash",
                    name(), e.getMessage());
        } finally {
            synchronized (this) {
                flushing = false;
                if (synced) {
                    scheduleFlush();
                }
            }
        }
    }

    /**
     * A former replica's log may end with records of a batch whose write into the file failed before
     * it wrote any page: never applied, never acknowledged, never published. This node's own history
     * goes on from what it applied (as after any failover, the old primary finds those transactions
     * missing when it rejoins, and keeps them in lost/).
     */
    private void dropUnappliedRecords() throws IOException {
        long last = log.lastTxid();
        if (last > txid) {
            log.truncateAfter(txid);
            LOG.warn("database {}: dropped replicated txid {}..{}, logged but never written into the database (the write failed), "
                    + "before capturing as primary", name(), txid + 1, last);
        }
    }

    /** Syncs the database file and moves the apply marker past what it holds, durably (under this database's lock). */
    private void syncApplied() throws IOException {
        db.force(false);
        applying.synced(inFile(), newest(), true);
        unsyncedFrom = 0;
    }

    /**
     * Writes the newest version of every page of {@code records} (a verified batch) through
     * {@code writer}; {@code touched} is set once the writer asks for the pages (it may have written some).
     */
    private static void writeReplicated(List<? extends StagedRecord> records, int pageSize, int commit, PageChecksums sums,
                                        ReplicaWriter writer, AtomicBoolean touched) throws IOException {
        writer.write(pageSize, commit, consumer -> {
            touched.set(true);
            byte[] buffer = new byte[pageSize];
            BitSet written = new BitSet();
            // Newest record first, so only a page's last version is written. A page a record dropped
            // (shrink) and a later one brought back is in that later record: growth carries every new page.
            for (int i = records.size() - 1; i >= 0; i--) {
                try (InputStream in = records.get(i).open()) {
                    LtxDecoder decoder = new LtxDecoder(in);
                    for (int p = decoder.nextPage(buffer); p != 0; p = decoder.nextPage(buffer)) {
                        if (p <= commit && !written.get(p)) {
                            written.set(p);
                            sums.set(p, Checksums.page(p, buffer, 0, buffer.length));
                            consumer.accept(p, buffer);
                        }
                    }
                }
            }
        });
    }

    /** Persists the checksum state so the next start replays only newer records. */
    public synchronized void saveState() throws IOException {
        log.sync();
        stateFile.save(txid, pageSize, sums);
    }

    @Override
    public synchronized void close() throws IOException {
        try {
            if (txid > 0) {
                saveState();
            }
            if (applying.pending() && unwritable == null) {
                syncApplied();
            }
        } finally {
            closed = true;
            discardHeld();
            heldWal.stop(); // the apply marker names what it held: recovery writes it from the log
            log.close();
            applying.close();
            spill.close();
            db.close();
            if (wal != null) {
                wal.close();
            }
        }
    }

    static void readFully(FileChannel in, byte[] into, int length, long position) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(into, 0, length);
        while (buffer.hasRemaining()) {
            int n = in.read(buffer, position + buffer.position());
            if (n < 0) {
                java.util.Arrays.fill(into, buffer.position(), length, (byte) 0);
                return;
            }
        }
    }
}
