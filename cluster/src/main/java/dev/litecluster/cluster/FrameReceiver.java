package dev.litecluster.cluster;

import dev.litecluster.store.StagedRecord;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.function.Consumer;

/**
 * Reads a replication stream on its own thread and stages each record or snapshot (in memory when
 * small, else in a file), so the replica applies everything received so far as one batch (one
 * fsync, one round of locks) while the next frames keep arriving. Without it a replica applies one
 * record per round trip and falls ever further behind a primary committing faster than that.
 */
final class FrameReceiver implements AutoCloseable {
    /** A record or snapshot held in {@code bytes} or else in {@code file}; the end of the stream has a null frame. */
    record Staged(StreamFrame frame, byte[] bytes, Path file) implements StagedRecord {
        @Override
        public InputStream open() throws IOException {
            return bytes != null ? new ByteArrayInputStream(bytes) : Files.newInputStream(file);
        }

        void delete() throws IOException {
            if (file != null) {
                Files.deleteIfExists(file);
            }
        }

        boolean joins(Staged batchStart) {
            return frame != null && frame.type() == StreamFrame.Type.RECORD
                    && batchStart.frame.type() == StreamFrame.Type.RECORD
                    && frame.database().equals(batchStart.frame.database());
        }
    }

    private static final Staged END = new Staged(null, null, null);
    /** Frames staged ahead of the apply; a full queue stops reading (the primary's socket buffers then fill). */
    private static final int CAPACITY = 1024;
    /** Larger payloads go to a file: at most CAPACITY of these are held in memory. */
    private static final int IN_MEMORY_LIMIT = 64 << 10;

    private final DataInputStream in;
    private final Path scratch;
    private final Consumer<StreamFrame> onFrame;
    private final BlockingQueue<Staged> queue = new ArrayBlockingQueue<>(CAPACITY);
    private final Thread thread;
    private volatile Exception failure;
    private boolean ended;

    /**
     * @param onFrame called on the receiving thread for every frame, heartbeats included, as soon
     *                as its header arrives
     */
    FrameReceiver(DataInputStream in, Path scratch, Consumer<StreamFrame> onFrame) {
        this.in = in;
        this.scratch = scratch;
        this.onFrame = onFrame;
        this.thread = new Thread(this::receive, "replication-receiver");
        this.thread.setDaemon(true);
    }

    FrameReceiver start() {
        thread.start();
        return this;
    }

    private void receive() {
        try {
            for (StreamFrame frame = StreamFrame.readHeader(in); frame != null; frame = StreamFrame.readHeader(in)) {
                onFrame.accept(frame);
                if (frame.type() != StreamFrame.Type.HEARTBEAT) {
                    queue.put(stage(frame));
                }
            }
        } catch (Exception e) {
            failure = e;
        } finally {
            putEnd();
        }
    }

    private Staged stage(StreamFrame frame) throws IOException {
        if (frame.length() <= IN_MEMORY_LIMIT) {
            return new Staged(frame, frame.readPayload(in), null);
        }
        Path file = Files.createTempFile(scratch, "replicated-", ".ltx");
        try (OutputStream out = Files.newOutputStream(file)) {
            frame.copyPayload(in, out);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(file);
            throw e;
        }
        return new Staged(frame, null, file);
    }

    private void putEnd() {
        boolean interrupted = false;
        while (true) {
            try {
                queue.put(END);
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Waits for the next frame and returns it with every later one already staged that joins it
     * (records of the same database), at most {@code max}. An empty list means the stream ended
     * cleanly; a broken stream throws, after every frame received before the break was returned.
     */
    List<Staged> nextBatch(int max) throws Exception {
        List<Staged> batch = new ArrayList<>();
        if (ended) {
            return batch;
        }
        Staged first = queue.take();
        if (first == END) {
            ended = true;
            if (failure != null) {
                throw failure;
            }
            return batch;
        }
        batch.add(first);
        // Only this thread takes from the queue: what peek returns is what poll removes.
        for (Staged next = queue.peek(); next != null && batch.size() < max && next.joins(first); next = queue.peek()) {
            batch.add(queue.poll());
        }
        return batch;
    }

    /**
     * Deletes what was staged and not applied, once the receiving thread has stopped; the caller
     * must first make the stream fail or end (abort the request), or this waits for it to.
     */
    @Override
    public void close() throws IOException {
        while (!ended) {
            Staged staged;
            try {
                staged = queue.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (staged == END) {
                ended = true;
            } else {
                staged.delete();
            }
        }
    }
}
