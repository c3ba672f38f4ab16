package dev.litecluster.store;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * The transaction log of one database: append-only segment files {@code %016x.seg} named by their
 * first TXID, one framed LTX record per transaction (DESIGN.md decision 6). Frame: magic "LCR2",
 * length u64 (an imported 10 GiB database is one record), txid u64, crc32c u32 of the record, then
 * the record. An in-memory index maps TXID to
 * offset. A record cut short by a crash (the torn tail) is dropped when the log is opened.
 */
public final class TxLog implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(TxLog.class);
    static final int FRAME_HEADER = 24;
    private static final int LENGTH_AT = 4;
    private static final int TXID_AT = 12;
    private static final int CRC_AT = 20;
    private static final int MAGIC = 0x4c435232;
    /** "LCR1": the earlier frame, whose u32 length could not hold a record of 4 GiB or more. */
    private static final int OLD_MAGIC = 0x4c435231;
    static final long SEGMENT_LIMIT = 64L << 20;
    /**
     * Zeros kept written and synced past the end of the segment being appended to, so that appends
     * overwrite blocks the file already has and the fdatasync of a commit writes data only: growing
     * the file made every sync a filesystem journal commit, which waits behind every other process's
     * (measured with three writers on one disk: p99 2.5 ms growing, 0.86 ms overwriting). Renewed
     * in the background after a sync that found less than half left; cut off when the segment is closed.
     */
    static final long RESERVE = 1 << 20;
    /**
     * The reserve is renewed only after a sync that covered at most this many records: syncs that
     * commits wait on come every record or few (synchronous=FULL, a replica's batches). A log synced
     * now and then (WAL with synchronous=NORMAL syncs at checkpoints, ~1000 records apart) grows its
     * file instead: writing zeros ahead of it doubled its writes, a third of its sync threads' CPU.
     */
    static final int RENEW_AFTER_RECORDS = 64;
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(64 << 10);
    /** By default a segment older than this is closed at the next append, so retention can delete by time. */
    public static final Duration SEGMENT_AGE = Duration.ofSeconds(60);
    /** Runs {@link #syncAsync()}s (fsyncs waiting on the disk, next to the caller's own) and reserve renewals. */
    private static final ExecutorService SYNCS = Executors.newCachedThreadPool(
            Thread.ofPlatform().daemon().name("log-sync-", 0).factory());

    private static final class Segment {
        final Path path;
        final long firstTxid;
        long[] offsets = new long[16];
        int count;
        long end;
        /** When this process started appending to the segment (segments also roll by age, for retention). */
        final long startedNanos = System.nanoTime();

        Segment(Path path, long firstTxid) {
            this.path = path;
            this.firstTxid = firstTxid;
        }

        void add(long offset) {
            if (count == offsets.length) {
                offsets = Arrays.copyOf(offsets, count * 2);
            }
            offsets[count++] = offset;
        }

        long lastTxid() {
            return firstTxid + count - 1;
        }
    }

    private final Path dir;
    private final long segmentLimit;
    private final long segmentAgeNanos;
    private final List<Segment> segments = new ArrayList<>();
    private FileChannel tail;
    /** Read side of the tail segment, kept open for {@link #read} of small records; null until needed. */
    private FileChannel tailReader;
    /** Records up to this size are read into memory with one positional read. */
    private static final int SMALL_RECORD = 64 << 10;
    /** One append at a time (the database's lock orders them): its checksum is reused. */
    private final CRC32C crc = new CRC32C();
    /**
     * Bytes of the tail segment from {@link #bufferStart} on, not written yet: buffered records, then
     * the record being appended. Direct, so writing it out copies nothing.
     */
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 16);
    private long bufferStart;
    private final ByteBuffer frameHeader = ByteBuffer.allocate(FRAME_HEADER);
    /** The room of a frame header until its record is committed: zeros, never a valid frame. */
    private static final byte[] NO_FRAME_HEADER = new byte[FRAME_HEADER];
    /**
     * Records committed so far, and how many of them are known durable: a sync forces the file
     * outside this log's lock (appends and replication reads go on meanwhile) and then raises
     * {@link #synced} to what was committed when it began. At open a crashed process may have left
     * records unsynced: one pending commit stands for them.
     */
    private long committed = 1;
    private long synced;
    /** Serializes syncs: one that waited here finds its records forced by the one before, and returns. */
    private final Object syncOrder = new Object();
    /** A {@link #renewReserve()} is queued or running. */
    private boolean renewing;

    private TxLog(Path dir, long segmentLimit, Duration segmentAge) {
        this.dir = dir;
        this.segmentLimit = segmentLimit;
        this.segmentAgeNanos = segmentAge.toNanos();
    }

    /** Opens (creating if needed) the log in {@code dir}, indexing every segment and dropping a torn tail. */
    public static TxLog open(Path dir) throws IOException {
        return open(dir, SEGMENT_LIMIT, SEGMENT_AGE, 0);
    }

    /**
     * Opens the log, starting a new segment once the current one reaches {@code segmentLimit} bytes
     * or has been appended to for {@code segmentAge}. Records up to {@code syncedTxid} are known to
     * have been made durable (the persisted checksum state names it, and a clean close saves it):
     * every newer record is read back and checked — after a crash the OS may have written any of
     * them only in part — and the log ends before the first one that is not intact. Synced ones are
     * trusted (reading back a huge imported record would take seconds).
     */
    static TxLog open(Path dir, long segmentLimit, Duration segmentAge, long syncedTxid) throws IOException {
        Files.createDirectories(dir);
        TxLog log = new TxLog(dir, segmentLimit, segmentAge);
        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.filter(p -> p.getFileName().toString().matches("[0-9a-f]{16}\\.seg")).sorted().toList();
        }
        boolean cut = false;
        for (Path file : files) {
            if (cut) {
                Files.delete(file); // follows a record lost in the crash
                continue;
            }
            long first = Long.parseUnsignedLong(file.getFileName().toString().substring(0, 16), 16);
            Segment segment = new Segment(file, first);
            cut = log.index(segment, syncedTxid);
            if (cut) {
                LOG.warn("transaction log {}: the records after TXID {} were not intact after a crash (written but not yet"
                        + " synced); the log ends there", dir, segment.firstTxid + segment.count - 1);
            }
            if (segment.count == 0) {
                Files.delete(file);
            } else {
                if (!log.segments.isEmpty() && log.lastTxid() + 1 != first) {
                    throw new IOException("transaction log " + dir + " has a gap before segment " + file.getFileName());
                }
                log.segments.add(segment);
            }
        }
        return log;
    }

    /** Indexes {@code segment}, cutting a torn end and unsynced records that are not intact; true if it cut damage a crash left. */
    private boolean index(Segment segment, long syncedTxid) throws IOException {
        try (FileChannel in = FileChannel.open(segment.path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = in.size();
            long offset = 0;
            ByteBuffer header = ByteBuffer.allocate(FRAME_HEADER);
            while (offset + FRAME_HEADER <= size) {
                header.clear();
                readFully(in, header, offset);
                if (offset == 0 && header.getInt(0) == OLD_MAGIC) {
                    throw new IOException("transaction log segment " + segment.path + " has the old LCR1 framing; "
                            + "restore the node from a snapshot");
                }
                long length = header.getLong(LENGTH_AT);
                long txid = header.getLong(TXID_AT);
                if (header.getInt(0) != MAGIC || length < 0 || offset + FRAME_HEADER + length > size
                        || txid != segment.firstTxid + segment.count) {
                    break;
                }
                segment.add(offset);
                offset += FRAME_HEADER + length;
            }
            boolean cut = false;
            int firstUnsynced = Math.clamp(syncedTxid + 1 - segment.firstTxid, 0, segment.count);
            for (int i = firstUnsynced; i < segment.count; i++) {
                if (!recordIntact(in, segment.offsets[i])) {
                    segment.count = i;
                    offset = segment.offsets[i];
                    cut = true;
                    break;
                }
            }
            // Past the last record: nothing, the zeros of the reserve, or what a crash left of an append.
            boolean damaged = cut || offset < size && !onlyZeros(in, offset, size);
            if (offset < size) {
                in.truncate(offset);
                in.force(true);
            }
            segment.end = offset;
            return damaged;
        }
    }

    private static boolean onlyZeros(FileChannel in, long from, long to) throws IOException {
        ByteBuffer chunk = ByteBuffer.allocate(64 << 10);
        for (long at = from; at < to; ) {
            chunk.clear().limit((int) Math.min(chunk.capacity(), to - at));
            readFully(in, chunk, at);
            at += chunk.remaining();
            while (chunk.hasRemaining()) {
                if (chunk.get() != 0) {
                    return false;
                }
            }
        }
        return true;
    }

    private boolean recordIntact(FileChannel in, long offset) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(FRAME_HEADER);
        readFully(in, header, offset);
        CRC32C check = new CRC32C();
        ByteBuffer chunk = ByteBuffer.allocate(1 << 20);
        long position = offset + FRAME_HEADER;
        long end = position + header.getLong(LENGTH_AT);
        while (position < end) {
            chunk.clear().limit((int) Math.min(chunk.capacity(), end - position));
            readFully(in, chunk, position);
            position += chunk.remaining();
            check.update(chunk);
        }
        return (int) check.getValue() == header.getInt(CRC_AT);
    }

    public boolean isEmpty() {
        return segments.isEmpty();
    }

    /** The oldest TXID still in the log, or 0 when it is empty. */
    public long firstTxid() {
        return segments.isEmpty() ? 0 : segments.getFirst().firstTxid;
    }

    /** The newest TXID in the log, or 0 when it is empty. */
    public long lastTxid() {
        return segments.isEmpty() ? 0 : segments.getLast().lastTxid();
    }

    public boolean contains(long txid) {
        return txid >= firstTxid() && txid <= lastTxid() && !segments.isEmpty();
    }

    /**
     * Starts appending the record of {@code txid}, which must follow the newest one (any TXID when
     * empty). The record is streamed straight into the segment (a huge transaction is never held in
     * memory) and becomes part of the log only at {@link Append#commit()}; the bytes are then in the
     * OS page cache, and {@link #sync()} makes them durable.
     */
    public synchronized Append append(long txid) throws IOException {
        if (!segments.isEmpty() && txid != lastTxid() + 1) {
            throw new IOException("log append out of order: txid " + txid + " after " + lastTxid());
        }
        Segment segment = segments.isEmpty() ? null : segments.getLast();
        if (segment == null || segment.end >= segmentLimit
                || System.nanoTime() - segment.startedNanos > segmentAgeNanos) {
            segment = startSegment(txid);
        }
        openTailIfNeeded();
        // Bytes past the end of the log are an append that was never committed: dropped.
        long buffered = segment.end - bufferStart;
        if (buffered >= 0 && buffered <= buffer.position()) {
            buffer.position((int) buffered);
        } else {
            buffer.clear();
            bufferStart = segment.end;
        }
        return new Append(segment, txid);
    }

    /**
     * One record being written at the end of the log. The frame header comes first but is known only
     * at commit: a record that fits the buffer goes out with its header in one write; a bigger one is
     * streamed with the header's room left as zeros (an unreadable frame until then).
     */
    public final class Append extends OutputStream {
        private final Segment segment;
        private final long txid;
        private final long start;

        private Append(Segment segment, long txid) throws IOException {
            this.segment = segment;
            this.txid = txid;
            this.start = segment.end;
            crc.reset();
            if (buffer.remaining() < FRAME_HEADER) {
                drain();
            }
            buffer.put(NO_FRAME_HEADER);
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            synchronized (TxLog.this) {
                crc.update(b, off, len);
                while (len > 0) {
                    int n = Math.min(len, buffer.remaining());
                    buffer.put(b, off, n);
                    off += n;
                    len -= n;
                    if (!buffer.hasRemaining()) {
                        drain();
                    }
                }
            }
        }

        /** Writes the record out with its frame header: from now on it is in the log, and in the segment file. */
        public void commit() throws IOException {
            synchronized (TxLog.this) {
                long end = bufferStart + buffer.position();
                if (start >= bufferStart) {
                    putFrameHeader(buffer, (int) (start - bufferStart), end);
                } else {
                    drain(); // the record's start is out already: its body goes first, its header last
                    frameHeader.clear();
                    putFrameHeader(frameHeader, 0, end);
                    while (frameHeader.hasRemaining()) {
                        tail.write(frameHeader, start + frameHeader.position());
                    }
                }
                segment.add(start);
                segment.end = end;
                committed++;
                drain();
            }
        }

        /** Puts the frame header of the record ending at {@code end} at {@code at} of {@code into} (its position unchanged). */
        private void putFrameHeader(ByteBuffer into, int at, long end) {
            into.putInt(at, MAGIC).putLong(at + LENGTH_AT, end - start - FRAME_HEADER).putLong(at + TXID_AT, txid)
                    .putInt(at + CRC_AT, (int) crc.getValue());
        }
    }

    /** Writes the whole buffer out to the tail segment (under this log's lock). */
    private void drain() throws IOException {
        writeOut(buffer.position());
    }

    /** Writes the first {@code length} bytes of the buffer out and keeps the rest at its start. */
    private void writeOut(int length) throws IOException {
        buffer.flip();
        int end = buffer.limit();
        buffer.limit(length);
        while (buffer.hasRemaining()) {
            tail.write(buffer, bufferStart + buffer.position());
        }
        bufferStart += length;
        buffer.limit(end).compact();
    }

    private Segment startSegment(long firstTxid) throws IOException {
        openTailIfNeeded(); // the segment ending now is synced before it is left, also when it was the last one at open
        if (tail != null) {
            dropReserve();
            tail.force(false);
            forced();
            tail.close();
        }
        closeTailReader();
        Segment segment = new Segment(dir.resolve("%016x.seg".formatted(firstTxid)), firstTxid);
        tail = FileChannel.open(segment.path, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try (FileChannel directory = FileChannel.open(dir, StandardOpenOption.READ)) {
            directory.force(true); // the new segment's entry is durable before a record in it can be acknowledged
        }
        segments.add(segment);
        buffer.clear();
        bufferStart = 0;
        return segment;
    }

    private void openTailIfNeeded() throws IOException {
        if (tail == null && !segments.isEmpty()) {
            tail = FileChannel.open(segments.getLast().path, StandardOpenOption.WRITE);
        }
    }

    /**
     * Makes everything committed so far durable; nothing to do (no fsync) when that is already so.
     * The fdatasync runs outside this log's lock: a record appended meanwhile is readable at once
     * (replicas need not wait for the primary's disk).
     */
    public void sync() throws IOException {
        synchronized (syncOrder) {
            long target;
            long covered;
            FileChannel channel;
            synchronized (this) {
                if (synced == committed) {
                    return;
                }
                target = committed;
                covered = target - synced;
                openTailIfNeeded();
                if (tail == null) {
                    synced = target;
                    return;
                }
                channel = tail;
            }
            try {
                channel.force(false);
            } catch (ClosedByInterruptException e) {
                throw e;
            } catch (ClosedChannelException e) {
                // Closed meanwhile by a segment roll, a truncate or close(): each forces before it closes.
            }
            synchronized (this) {
                if (synced < target && !channel.isOpen()) {
                    throw new IOException("transaction log " + dir + ": the segment was closed during a sync without being synced");
                }
                synced = Math.max(synced, target);
                if (!renewing && tail == channel && covered <= RENEW_AFTER_RECORDS
                        && tail.size() - segments.getLast().end < RESERVE / 2) {
                    renewing = true;
                    SYNCS.execute(this::renewReserve);
                }
            }
        }
    }

    /** After the tail was forced under this log's lock: everything committed is durable. */
    private void forced() {
        synced = committed;
    }

    /**
     * Fills the tail file with zeros up to a full reserve past its last record, and syncs them, on
     * a thread of its own after a sync found less than half left: a commit's sync that extended the
     * file took 2–15 ms (a journal commit and the zeros' writeback) against 0.3 ms for an overwrite.
     * Each chunk is written under the lock at the file's current end, so never over a record; a
     * rolled or closed segment ends it.
     */
    private void renewReserve() {
        FileChannel channel = null;
        try {
            for (boolean more = true; more; ) {
                synchronized (this) {
                    channel = channel == null ? tail : channel;
                    if (channel == null || tail != channel) {
                        return;
                    }
                    long at = tail.size();
                    long want = segments.getLast().end + RESERVE;
                    more = at < want;
                    if (more) {
                        ByteBuffer zeros = ZEROS.duplicate().limit((int) Math.min(ZEROS.capacity(), want - at));
                        while (zeros.hasRemaining()) {
                            at += tail.write(zeros, at);
                        }
                    }
                }
            }
            channel.force(false);
        } catch (ClosedChannelException e) {
            // the segment rolled or the log closed meanwhile: its reserve no longer matters
        } catch (IOException e) {
            LOG.warn("transaction log {}: could not write zeros ahead of its end ({}); commits will extend the file", dir,
                    e.getMessage());
        } finally {
            synchronized (this) {
                renewing = false;
            }
        }
    }

    /** Cuts the zeros off the tail file: a closed segment ends with its last record. */
    private void dropReserve() throws IOException {
        long end = segments.getLast().end;
        if (tail.size() > end) {
            tail.truncate(end);
        }
    }

    /** A {@link #sync()} started by {@link #syncAsync()}. */
    @FunctionalInterface
    public interface PendingSync {
        /** Waits until the log is durable; throws what the sync threw. */
        void await() throws IOException;
    }

    /**
     * Starts {@link #sync()} on another thread, so that it overlaps an fsync of the caller's own
     * (the filesystem may commit both in one journal transaction); nothing runs when the log is
     * durable already.
     */
    public PendingSync syncAsync() {
        synchronized (this) {
            if (synced == committed) {
                return () -> { };
            }
        }
        CompletableFuture<Void> sync = CompletableFuture.runAsync(() -> {
            try {
                sync();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, SYNCS);
        return () -> {
            try {
                sync.join();
            } catch (CompletionException e) {
                if (e.getCause() instanceof UncheckedIOException io) {
                    throw io.getCause();
                }
                throw new IOException("log sync failed", e.getCause());
            }
        };
    }

    /** The record of {@code txid} as a stream of LTX bytes. */
    public InputStream read(long txid) throws IOException {
        Segment segment;
        long offset;
        long length;
        synchronized (this) {
            segment = find(txid);
            int index = (int) (txid - segment.firstTxid);
            offset = segment.offsets[index] + FRAME_HEADER;
            length = length(segment, index);
            if (length <= SMALL_RECORD && segment == segments.getLast()) {
                // The common case (streaming what was just committed): one read, no file opened.
                if (tailReader == null) {
                    tailReader = FileChannel.open(segment.path, StandardOpenOption.READ);
                }
                ByteBuffer record = ByteBuffer.allocate((int) length);
                readFully(tailReader, record, offset);
                return new ByteArrayInputStream(record.array());
            }
        }
        FileChannel in = FileChannel.open(segment.path, StandardOpenOption.READ);
        return new BufferedInputStream(new RegionInputStream(in, offset, length), 1 << 16);
    }

    /** The length in bytes of the record of {@code txid}. */
    public synchronized long length(long txid) throws IOException {
        Segment segment = find(txid);
        return length(segment, (int) (txid - segment.firstTxid));
    }

    private static long length(Segment segment, int index) {
        long next = index + 1 < segment.count ? segment.offsets[index + 1] : segment.end;
        return next - segment.offsets[index] - FRAME_HEADER;
    }

    /** Reads part of a log segment as a stream; closing it closes the segment file. */
    private static final class RegionInputStream extends InputStream {
        private final FileChannel in;
        private long position;
        private final long end;

        RegionInputStream(FileChannel in, long position, long length) {
            this.in = in;
            this.position = position;
            this.end = position + length;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (position >= end) {
                return -1;
            }
            int n = in.read(ByteBuffer.wrap(b, off, (int) Math.min(len, end - position)), position);
            if (n < 0) {
                throw new IOException("log segment ends inside a record");
            }
            position += n;
            return n;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    /** The record of {@code txid} as bytes (for small records: tests and tools). */
    public byte[] readBytes(long txid) throws IOException {
        try (InputStream in = read(txid)) {
            return in.readAllBytes();
        }
    }

    private Segment find(long txid) throws IOException {
        for (Segment segment : segments) {
            if (txid >= segment.firstTxid && txid <= segment.lastTxid()) {
                return segment;
            }
        }
        throw new IOException("txid " + txid + " is not in the log (it holds " + firstTxid() + ".." + lastTxid() + ")");
    }

    /** Drops every record after {@code txid} (recovery undoing a transaction SQLite rolled back). */
    public synchronized void truncateAfter(long txid) throws IOException {
        while (!segments.isEmpty() && segments.getLast().firstTxid > txid) {
            closeTail();
            Files.delete(segments.removeLast().path);
        }
        if (segments.isEmpty() || segments.getLast().lastTxid() <= txid) {
            forced(); // what is left was forced when its segment rolled
            return;
        }
        Segment segment = segments.getLast();
        segment.count = (int) (txid - segment.firstTxid + 1);
        segment.end = segment.offsets[segment.count];
        openTailIfNeeded();
        tail.truncate(segment.end);
        tail.force(true);
        forced();
    }

    /**
     * Retention: deletes, oldest first, whole segments whose records are all below {@code txid} and
     * whose last append is before {@code cutoffMillis}. The segment being appended to is kept.
     *
     * @return the number of segments deleted
     */
    public synchronized int deleteBefore(long txid, long cutoffMillis) throws IOException {
        int deleted = 0;
        while (segments.size() > 1 && segments.get(0).lastTxid() < txid
                && Files.getLastModifiedTime(segments.get(0).path).toMillis() < cutoffMillis) {
            Files.delete(segments.removeFirst().path);
            deleted++;
        }
        return deleted;
    }

    private void closeTail() throws IOException {
        if (tail != null) {
            tail.close();
            tail = null;
        }
        closeTailReader();
    }

    private void closeTailReader() throws IOException {
        if (tailReader != null) {
            tailReader.close();
            tailReader = null;
        }
    }

    @Override
    public synchronized void close() throws IOException {
        if (tail != null) {
            dropReserve();
            tail.force(false);
            forced();
        }
        closeTail();
    }

    private static void readFully(FileChannel in, ByteBuffer buffer, long position) throws IOException {
        while (buffer.hasRemaining()) {
            if (in.read(buffer, position + buffer.position()) < 0) {
                throw new IOException("unexpected end of log segment at " + (position + buffer.position()));
            }
        }
        buffer.flip();
    }
}
