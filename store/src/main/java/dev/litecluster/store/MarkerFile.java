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
 * A crash marker: a number on one line, written over in place, always 20 digits wide (0: nothing
 * marked).
 * Creating and deleting it each time would cost two metadata changes that every following fsync on
 * the filesystem had to commit; it is created once, with its directory synced so that a power loss
 * cannot take it away.
 */
final class MarkerFile implements Closeable {
    private final Path file;
    private FileChannel channel;

    MarkerFile(Path file) {
        this.file = file;
    }

    /** The marker's number, 0 when there is no marker; {@code what} names it when it is damaged. */
    static long read(Path file, String what) throws IOException {
        String text = Files.exists(file) ? Files.readString(file).strip() : "";
        try {
            return text.isEmpty() ? 0 : Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new IOException("the " + what + " " + file + " is damaged: '" + text + "'");
        }
    }

    /** Writes {@code value} over the marker, synced when {@code durable}. */
    void write(long value, boolean durable) throws IOException {
        if (channel == null) {
            boolean created = !Files.exists(file);
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            if (created) {
                syncDirectory(file.getParent());
            }
        }
        ByteBuffer bytes = ByteBuffer.wrap("%020d\n".formatted(value).getBytes(StandardCharsets.US_ASCII));
        while (bytes.hasRemaining()) {
            channel.write(bytes, bytes.position());
        }
        if (durable) {
            channel.force(false);
        }
    }

    /** Makes the names in {@code dir} durable (fsync of the directory). */
    static void syncDirectory(Path dir) throws IOException {
        try (FileChannel directory = FileChannel.open(dir, StandardOpenOption.READ)) {
            directory.force(true);
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
