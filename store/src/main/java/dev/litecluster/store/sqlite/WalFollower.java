package dev.litecluster.store.sqlite;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Follows a WAL file's checksum chain as it is written, and reports each transaction the moment its
 * commit frame becomes valid (DESIGN.md decision 4). Frames after the last commit are validated
 * incrementally; a write that lands inside them (an in-place overwrite, a rolled-back transaction's
 * frames being reused) restarts validation from the last commit, because the chain past it is stale.
 * Validation takes the frame at its frontier from the app's writes where it can ({@link FrameWindow}),
 * and a page left by an earlier WAL generation by its remembered sum ({@link WalPageSums}); it stops
 * at the end of what was written since the WAL header: every frame past it is left from an earlier
 * generation, whose salts differ, so it cannot be valid and is not read.
 */
public final class WalFollower {

    public static final int HEADER_SIZE = 32;
    public static final int FRAME_HEADER_SIZE = 24;
    private static final int MAGIC_LE = 0x377f0682;
    private static final int MAGIC_BE = 0x377f0683;

    /**
     * One committed transaction: the newest frame of each page, where it sits in the WAL, and copies
     * of (some of) those pages as they were validated; read them with {@link #page}.
     */
    public record Commit(int commitPages, SortedMap<Integer, Long> pageOffsets, Map<Integer, byte[]> pageCopies,
                         long walOffset, long walSize, int salt1, int salt2) {
    }

    /** At most this many bytes of page copies are held per {@link #afterWrite} call; other pages are read back. */
    private static final int HELD_BYTES_LIMIT = 1 << 20;

    private final WalSource wal;
    private final FrameWindow window;
    /** Null until a valid header gives the frame size; kept across WAL generations (the pages stay in the file). */
    private WalPageSums pageSums;
    private WalChecksum.Shift pageShift;
    private boolean valid;
    private int pageSize;
    private ByteOrder order;
    private int salt1;
    private int salt2;
    private int committedS0;
    private int committedS1;
    private long committedEnd;
    private int pendingS0;
    private int pendingS1;
    private long pendingEnd;
    /** The end of what the app wrote since the WAL header (unknown after a scan of an existing WAL: no limit). */
    private long writtenEnd;
    private TreeMap<Integer, Long> pendingPages = new TreeMap<>();
    private Map<Integer, byte[]> pendingCopies = new HashMap<>();
    private long heldBytes;
    /** Page copies of released commits, for reuse. */
    private final ArrayDeque<byte[]> spareCopies = new ArrayDeque<>();
    private static final int MAX_SPARE_COPIES = 16;

    public WalFollower(WalSource wal) {
        this.wal = wal;
        this.window = new FrameWindow(wal);
    }

    /** True once a valid WAL header has been seen (the database is in WAL mode). */
    public boolean active() {
        return valid;
    }

    public int pageSize() {
        return pageSize;
    }

    /** The WAL offset just past the last committed frame seen (32 = no frames). */
    public long committedEnd() {
        return committedEnd;
    }

    /** Forgets everything (the WAL was truncated or deleted). */
    public void reset() {
        valid = false;
        window.forget();
        pendingPages.clear();
        pendingCopies.clear();
        committedEnd = pendingEnd = 0;
    }

    /**
     * The WAL file was cut to {@code size} bytes. SQLite cuts it to 0 (TRUNCATE checkpoint), or, with
     * {@code journal_size_limit}, to the end of its live frames right after the commit that restarted
     * it: the chain is intact and the frames appended next must still be followed.
     */
    public void truncated(long size) {
        window.truncated(size);
        if (pageSums != null) {
            pageSums.truncated(size);
        }
        if (size < committedEnd) {
            reset(); // committed frames are gone: only a new header can start a chain again
        } else if (size < pendingEnd) {
            rewindToCommit();
        }
    }

    /** Scans the whole WAL from its header, as recovery does; returns every committed transaction. */
    public List<Commit> scanFromStart() throws IOException {
        heldBytes = 0;
        readHeader();
        writtenEnd = Long.MAX_VALUE;
        return valid ? scanFrames(0, null) : List.of();
    }

    /**
     * Called after {@code data} was written at {@code offset} of the WAL file (the bytes are read
     * during the call only): returns the transactions whose commit frames are now valid, oldest first.
     */
    public List<Commit> afterWrite(long offset, MemorySegment data) throws IOException {
        heldBytes = (long) pendingCopies.size() * pageSize;
        long end = offset + data.byteSize();
        if (pageSums != null) {
            pageSums.written(offset, data);
        }
        if (offset < HEADER_SIZE) {
            readHeader();
            writtenEnd = end;
        } else {
            writtenEnd = Math.max(writtenEnd, end);
            if (valid && offset < pendingEnd) {
                rewindToCommit();
            }
        }
        return valid ? scanFrames(offset, data) : List.of();
    }

    private void readHeader() throws IOException {
        reset();
        byte[] header = new byte[HEADER_SIZE];
        if (!readFully(header, 0)) {
            return;
        }
        ByteBuffer b = ByteBuffer.wrap(header);
        int magic = b.getInt(0);
        if (magic != MAGIC_LE && magic != MAGIC_BE) {
            return;
        }
        ByteOrder headerOrder = magic == MAGIC_BE ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        int size = b.getInt(8);
        if (size < 512 || size > 65536 || Integer.bitCount(size) != 1) {
            return;
        }
        WalChecksum sum = new WalChecksum(0, 0).update(header, 0, 24, headerOrder);
        if (!sum.matches(b.getInt(24), b.getInt(28))) {
            return;
        }
        valid = true;
        order = headerOrder;
        pageSize = size;
        salt1 = b.getInt(16);
        salt2 = b.getInt(20);
        committedS0 = sum.s0();
        committedS1 = sum.s1();
        committedEnd = HEADER_SIZE;
        rewindToCommit();
        window.resize(FRAME_HEADER_SIZE + pageSize);
        pageShift = WalChecksum.Shift.over(pageSize / 8);
        if (pageSums == null || !pageSums.fits(pageSize, order)) {
            pageSums = new WalPageSums(pageSize, order);
        }
    }

    private void rewindToCommit() {
        pendingS0 = committedS0;
        pendingS1 = committedS1;
        pendingEnd = committedEnd;
        pendingPages.clear();
        pendingCopies.clear();
    }

    /** Validates frames from the frontier on; {@code data} (null: none) was just written at {@code offset}. */
    private List<Commit> scanFrames(long offset, MemorySegment data) throws IOException {
        List<Commit> commits = new ArrayList<>(1);
        byte[] frame = window.bytes();
        while (pendingEnd < writtenEnd) {
            window.moveTo(pendingEnd);
            if (data != null) {
                window.written(offset, data);
            }
            if (!window.loadHeader()) {
                break;
            }
            ByteBuffer h = ByteBuffer.wrap(frame, 0, FRAME_HEADER_SIZE);
            int pgno = h.getInt(0);
            if (pgno == 0 || h.getInt(8) != salt1 || h.getInt(12) != salt2) {
                break;
            }
            WalChecksum page = pageSum();
            if (page == null) {
                break;
            }
            WalChecksum sum = new WalChecksum(pendingS0, pendingS1).update(frame, 0, 8, order).append(page, pageShift);
            // The page itself is needed only now (for its copy): a page known by its sum alone is read.
            if (!sum.matches(h.getInt(16), h.getInt(20)) || !window.loadPage()) {
                break;
            }
            pendingS0 = sum.s0();
            pendingS1 = sum.s1();
            pendingPages.put(pgno, pendingEnd + FRAME_HEADER_SIZE);
            holdCopy(pgno, frame);
            pendingEnd += frame.length;
            int commitPages = h.getInt(4);
            if (commitPages != 0) {
                commits.add(new Commit(commitPages, pendingPages, pendingCopies, committedEnd,
                        pendingEnd - committedEnd, salt1, salt2));
                committedS0 = pendingS0;
                committedS1 = pendingS1;
                committedEnd = pendingEnd;
                pendingPages = new TreeMap<>(); // handed to the commit, like its copies
                pendingCopies = new HashMap<>();
            }
        }
        return commits;
    }

    /** The sum of the page of the frame at the frontier: remembered, or hashed from its bytes (read if needed); null at the end of the file. */
    private WalChecksum pageSum() throws IOException {
        long slot = pageSums.slot(pendingEnd);
        WalChecksum sum = pageSums.get(slot);
        if (sum == null) {
            if (!window.loadPage()) {
                return null;
            }
            sum = new WalChecksum(0, 0).update(window.bytes(), FRAME_HEADER_SIZE, pageSize, order);
            pageSums.set(slot, sum);
        }
        return sum;
    }

    /** Keeps a copy of the page in the frame just validated, while the budget allows (its newest version always). */
    private void holdCopy(int pgno, byte[] frame) {
        byte[] copy = pendingCopies.get(pgno); // an older version in the same transaction: overwritten
        if (copy == null) {
            if (heldBytes + pageSize > HELD_BYTES_LIMIT) {
                return;
            }
            copy = spareCopies.isEmpty() || spareCopies.peek().length != pageSize ? new byte[pageSize] : spareCopies.pop();
            heldBytes += pageSize;
        }
        System.arraycopy(frame, FRAME_HEADER_SIZE, copy, 0, pageSize);
        pendingCopies.put(pgno, copy);
    }

    /**
     * {@code commit} was captured and is dropped: its page copies may hold pages of the next ones
     * (a fresh 4 KiB array per commit is memory the CPU cache has never seen, and garbage).
     */
    public void release(Commit commit) {
        for (byte[] copy : commit.pageCopies().values()) {
            if (spareCopies.size() < MAX_SPARE_COPIES) {
                spareCopies.push(copy);
            }
        }
    }

    /**
     * The version of page {@code pgno} that {@code commit} wrote: its held copy (not to be changed),
     * else read from its frame in the WAL into {@code scratch} (one page); null when the commit did
     * not write the page.
     */
    public byte[] page(Commit commit, int pgno, byte[] scratch) throws IOException {
        byte[] copy = commit.pageCopies().get(pgno);
        if (copy != null) {
            return copy;
        }
        Long at = commit.pageOffsets().get(pgno);
        if (at == null) {
            return null;
        }
        if (!readFully(scratch, at)) {
            throw new EOFException("the WAL ends inside the frame of page " + pgno + " at " + at);
        }
        return scratch;
    }

    private boolean readFully(byte[] into, long position) throws IOException {
        return wal.read(into, 0, into.length, position) == into.length;
    }
}
