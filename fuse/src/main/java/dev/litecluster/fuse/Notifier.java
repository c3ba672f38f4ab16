package dev.litecluster.fuse;

import dev.litecluster.fuse.sys.Errno;
import dev.litecluster.fuse.sys.LibC;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/**
 * Unsolicited messages to the kernel: cache invalidation and pushing data into the page cache.
 *
 * <p>Each message but {@link #store} is written by a dedicated notifier thread and the call returns at once with a
 * future of the outcome (0, {@code -ENOENT} = nothing was cached, or another {@code -errno}). The
 * kernel processes a notification synchronously inside that write and may take page or directory
 * locks that an unanswered request holds, so a notification sent from the thread that owes the
 * reply can hang the mount for good. Handlers may therefore call these methods but must
 * <b>never wait</b> on the returned future; other threads may wait freely.
 */
public final class Notifier {
    private static final Logger log = LoggerFactory.getLogger(Notifier.class);
    private static final int INVAL_INODE = 2, INVAL_ENTRY = 3, STORE = 4, DELETE = 6;
    /** STORE messages larger than this are split. */
    private static final int STORE_CHUNK = 256 * 1024;
    private static final int BUFFER = STORE_CHUNK + 64;

    private final int fd;
    private final String name;
    private final ExecutorService thread;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment buffer = arena.allocate(BUFFER, 8);
    private volatile boolean started;

    Notifier(int fd, String name) {
        this.fd = fd;
        this.name = name;
        this.thread = Executors.newSingleThreadExecutor(Thread.ofPlatform().daemon().name("fuse-" + name + "-notifier").factory());
    }

    void start(InitNegotiation.Negotiated negotiated) {
        started = negotiated != null;
    }

    void stop() {
        thread.shutdown();
        try {
            if (!thread.awaitTermination(5, TimeUnit.SECONDS)) log.warn("{}: notifier did not finish", name);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isTerminated()) arena.close();
    }

    /** Drops cached pages of {@code nodeid} from {@code offset} for {@code length} bytes (≤ 0 = to the end), and its attributes. */
    public CompletableFuture<Integer> invalidateData(long nodeid, long offset, long length) {
        return submit(() -> {
            buffer.set(JAVA_LONG_UNALIGNED, 16, nodeid);
            buffer.set(JAVA_LONG_UNALIGNED, 24, offset);
            buffer.set(JAVA_LONG_UNALIGNED, 32, length);
            return send(buffer, INVAL_INODE, 24);
        });
    }

    /** Drops only the cached attributes of {@code nodeid} (size, times); the next stat asks again. */
    public CompletableFuture<Integer> invalidateAttributes(long nodeid) {
        return invalidateData(nodeid, -1, 0);
    }

    /** Drops the cached directory entry {@code parent/name} (positive or negative); the next access looks it up. */
    public CompletableFuture<Integer> invalidateEntry(long parent, String name) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        return submit(() -> {
            buffer.set(JAVA_LONG_UNALIGNED, 16, parent);
            buffer.set(JAVA_INT_UNALIGNED, 24, bytes.length);
            buffer.set(JAVA_INT_UNALIGNED, 28, 0);
            putName(32, bytes);
            return send(buffer, INVAL_ENTRY, 16 + bytes.length + 1);
        });
    }

    /** Like {@link #invalidateEntry}, and tells the kernel that {@code child} was deleted. */
    public CompletableFuture<Integer> delete(long parent, long child, String name) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        return submit(() -> {
            buffer.set(JAVA_LONG_UNALIGNED, 16, parent);
            buffer.set(JAVA_LONG_UNALIGNED, 24, child);
            buffer.set(JAVA_INT_UNALIGNED, 32, bytes.length);
            buffer.set(JAVA_INT_UNALIGNED, 36, 0);
            putName(40, bytes);
            return send(buffer, DELETE, 24 + bytes.length + 1);
        });
    }

    /**
     * Copies {@code data} into the kernel page cache of {@code nodeid} at {@code offset}, so reads of
     * it need no READ; returns the outcome. Unlike the other messages it is written from the calling
     * thread (a handoff to the notifier thread took milliseconds on a busy machine, per page), so it
     * must never be called from a thread that owes a reply.
     */
    public int store(long nodeid, long offset, byte[] data) {
        if (!started) return -Errno.ENOTCONN;
        try (Arena call = Arena.ofConfined()) {
            return store(call.allocate(40L + Math.min(STORE_CHUNK, data.length), 8), nodeid, offset, data);
        }
    }

    private int store(MemorySegment into, long nodeid, long offset, byte[] data) {
        int done = 0;
        do {
            int size = Math.min(STORE_CHUNK, data.length - done);
            into.set(JAVA_LONG_UNALIGNED, 16, nodeid);
            into.set(JAVA_LONG_UNALIGNED, 24, offset + done);
            into.set(JAVA_INT_UNALIGNED, 32, size);
            into.set(JAVA_INT_UNALIGNED, 36, 0);
            MemorySegment.copy(data, done, into, ValueLayout.JAVA_BYTE, 40, size);
            int r = send(into, STORE, 24 + size);
            if (r < 0) return r;
            done += size;
        } while (done < data.length);
        return 0;
    }

    private void putName(long at, byte[] bytes) {
        MemorySegment.copy(bytes, 0, buffer, ValueLayout.JAVA_BYTE, at, bytes.length);
        buffer.set(ValueLayout.JAVA_BYTE, at + bytes.length, (byte) 0);
    }

    /** Writes the header (unique 0, error = +code) in front of the payload already in {@code message}. */
    private int send(MemorySegment message, int code, int payloadLength) {
        int length = 16 + payloadLength;
        message.set(JAVA_INT_UNALIGNED, 0, length);
        message.set(JAVA_INT_UNALIGNED, 4, code);
        message.set(JAVA_LONG_UNALIGNED, 8, 0L);
        long r = LibC.write(fd, message, length);
        return r < 0 ? (int) r : 0;
    }

    private interface Message {
        int send();
    }

    private CompletableFuture<Integer> submit(Message message) {
        if (!started) return CompletableFuture.completedFuture(-Errno.ENOTCONN);
        try {
            return CompletableFuture.supplyAsync(message::send, thread);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.completedFuture(-Errno.ENOTCONN);
        }
    }
}
