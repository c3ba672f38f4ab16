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
 * Names the first TXID of the replicated batch being written into a database file, so that after a
 * crash recovery writes the batch again ({@link DatabaseFiles#applying()}). The file stays and is
 * written over in place — 20 decimal digits and a newline, all zeros when no batch is being
 * written: creating and deleting it for every batch cost two metadata changes that every
 * following fsync on the filesystem had to commit.
 */
final class ApplyMarker implements Closeable {
    private final Path file;
    private FileChannel channel;

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

    /** A batch from {@code txid} is about to be written into the database file. */
    void set(long txid) throws IOException {
        write(txid);
    }

    /** The batch is written. */
    void clear() throws IOException {
        write(0);
    }

    private void write(long txid) throws IOException {
        if (channel == null) {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
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
