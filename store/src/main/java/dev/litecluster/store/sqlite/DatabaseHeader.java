package dev.litecluster.store.sqlite;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/** The fields of SQLite's 100-byte database header that capture and apply rely on. */
public record DatabaseHeader(int pageSize, int changeCounter, int inHeaderPages, int versionValidFor, int writeVersion) {

    public static final int SIZE = 100;
    private static final byte[] MAGIC = "SQLite format 3\0".getBytes(StandardCharsets.US_ASCII);

    public static boolean hasMagic(byte[] page1) {
        return page1.length >= MAGIC.length && Arrays.equals(page1, 0, MAGIC.length, MAGIC, 0, MAGIC.length);
    }

    /** Parses the header; throws {@link IllegalArgumentException} naming the problem if it is not SQLite's. */
    public static DatabaseHeader parse(byte[] page1) {
        if (page1.length < SIZE || !hasMagic(page1)) {
            throw new IllegalArgumentException("not a SQLite database (no 'SQLite format 3' header)");
        }
        ByteBuffer b = ByteBuffer.wrap(page1);
        int raw = Short.toUnsignedInt(b.getShort(16));
        int pageSize = raw == 1 ? 65536 : raw;
        if (pageSize < 512 || Integer.bitCount(pageSize) != 1) {
            throw new IllegalArgumentException("SQLite header has an invalid page size " + raw);
        }
        return new DatabaseHeader(pageSize, b.getInt(24), b.getInt(28), b.getInt(92), page1[18]);
    }

    /** Reads the header of a database file, or returns null when the file is shorter than a header. */
    public static DatabaseHeader read(FileChannel file) throws IOException {
        byte[] bytes = new byte[SIZE];
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
            if (file.read(buffer, buffer.position()) < 0) {
                return null;
            }
        }
        return parse(bytes);
    }

    /** Whether the database file at {@code path} exists and its header says WAL mode (write version 2). */
    public static boolean isWalMode(Path path) throws IOException {
        if (!Files.exists(path)) {
            return false;
        }
        try (FileChannel in = FileChannel.open(path, StandardOpenOption.READ)) {
            DatabaseHeader header = read(in);
            return header != null && header.writeVersion() == 2;
        }
    }

    /**
     * The database size in pages as SQLite computes it: the in-header size when it is valid
     * (non-zero and the change counter equals version-valid-for), else the file size in whole pages.
     */
    public int pages(long fileSize) {
        if (inHeaderPages > 0 && changeCounter == versionValidFor) {
            return inHeaderPages;
        }
        return (int) ((fileSize + pageSize - 1) / pageSize);
    }
}
