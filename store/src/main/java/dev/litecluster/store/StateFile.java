package dev.litecluster.store;

import dev.litecluster.ltx.Crc64;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The persisted checksum state of a database at one TXID: a restart loads it and replays only the
 * log records after it, instead of re-reading every database page (DESIGN.md decision 9).
 * Layout: "LCS1", txid u64, pageSize u32, pages u32, page checksums u64 × pages, crc64 u64.
 */
public final class StateFile {
    private static final int MAGIC = 0x4c435331;

    /** The state at {@code txid}. */
    public record State(long txid, int pageSize, PageChecksums checksums) {
    }

    private final Path path;

    public StateFile(Path path) {
        this.path = path;
    }

    /** Loads the state, or returns null when there is none or it is damaged (the log is replayed instead). */
    public State load() throws IOException {
        if (!Files.exists(path)) {
            return null;
        }
        byte[] bytes = Files.readAllBytes(path);
        if (bytes.length < 28) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        long crc = b.getLong(bytes.length - 8);
        if (b.getInt(0) != MAGIC || Crc64.update(0, bytes, 0, bytes.length - 8) != crc) {
            return null;
        }
        long txid = b.getLong(4);
        int pageSize = b.getInt(12);
        int pages = b.getInt(16);
        if (bytes.length != 28 + 8L * pages) {
            return null;
        }
        long[] sums = new long[pages];
        b.position(20).asLongBuffer().get(sums);
        return new State(txid, pageSize, new PageChecksums(sums, pages));
    }

    /** Writes the state atomically (temp file, fsync, rename). */
    public void save(long txid, int pageSize, PageChecksums checksums) throws IOException {
        int pages = checksums.pages();
        ByteBuffer b = ByteBuffer.allocate(28 + 8 * pages);
        b.putInt(MAGIC).putLong(txid).putInt(pageSize).putInt(pages);
        b.asLongBuffer().put(checksums.raw(), 0, pages);
        b.position(b.position() + 8 * pages);
        b.putLong(Crc64.update(0, b.array(), 0, b.position()));
        Path temp = path.resolveSibling(path.getFileName() + ".tmp");
        try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            b.flip();
            while (b.hasRemaining()) {
                out.write(b);
            }
            out.force(true);
        }
        Files.move(temp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
