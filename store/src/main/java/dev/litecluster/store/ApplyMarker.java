package dev.litecluster.store;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Names the first replicated TXID whose pages may not be durable in the database file yet
 * ({@link DatabaseFiles#applying()}): after a crash, recovery writes the records from there on again
 * from the log. It is set, and synced, before a batch is written into the file when nothing is named;
 * it moves on only after the database file was synced (a second or so later, off the apply path), so
 * a power loss that keeps the log but not the pages the OS had not written yet is repaired too. The
 * file stays and is written over in place — 20 decimal digits and a newline, all zeros when nothing
 * is pending: creating and deleting it cost two metadata changes that every following fsync on the
 * filesystem had to commit.
 */
final class ApplyMarker implements Closeable {
    private final Path file;
    private FileChannel channel;
    /** What the file names (0: nothing pending); this process starts after recovery, with nothing. */
    private long from;

    ApplyMarker(Path file) {
        this.file = file;
    }

    /** The TXID a crash interrupted the writing of, or 0 when none was being written. */
    static long read(Path file) throws IOException {
        if (!Files.exists(file)) {
            return 0;
        }
        String text = Files.readString(file).strip();
        try {
            return text.isEmpty() ? 0 : Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new IOException("the apply marker " + file + " is damaged: '" + text + "'");
        }
    }

    /** Records from {@code txid} on are about to be written into the database file. */
    void cover(long txid) throws IOException {
        if (from == 0) {
            write(txid);
            channel.force(false); // durable before any page of the batch can reach the disk
            from = txid;
        }
    }

    /** Something is named. */
    boolean pending() {
        return from != 0;
    }

    /**
     * The database file was synced holding everything up to {@code synced}; {@code applied} is the
     * newest TXID now. Not synced itself: a crash that loses this write leaves an earlier TXID named,
     * and recovery writes a few more records again.
     */
    void synced(long synced, long applied) throws IOException {
        long next = applied > synced ? synced + 1 : 0;
        if (from != 0 && next != from) {
            write(next);
            from = next;
        }
    }

    private void write(long txid) throws IOException {
        if (channel == null) {
            boolean created = !Files.exists(file);
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            if (created) {
                try (FileChannel directory = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
                    directory.force(true); // a power loss must not take the file away with what it names
                }
            }
        }
        ByteBuffer text = ByteBuffer.wrap("%020d\n".formatted(txid).getBytes(StandardCharsets.US_ASCII));
        while (text.hasRemaining()) {
            channel.write(text, text.position());
        }
    }

    @Override
    public void close() throws IOException {
        if (channel != null) {
            channel.close();
            channel = null;
        }
    }
}
