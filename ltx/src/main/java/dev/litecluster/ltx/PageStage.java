package dev.litecluster.ltx;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Decoded pages held back until their LTX file is verified. The first {@link #MEMORY_LIMIT} bytes stay in
 * memory; the rest spill to a temporary file that is deleted on close.
 */
final class PageStage implements Closeable {
    static final long MEMORY_LIMIT = 64L << 20;

    private final int pageSize;
    private final int memoryPages;
    private final List<byte[]> memory = new ArrayList<>();
    private int[] pgnos = new int[16];
    private int count;
    private Path spillPath;
    private FileChannel spill;

    PageStage(int pageSize) {
        this.pageSize = pageSize;
        this.memoryPages = (int) (MEMORY_LIMIT / pageSize);
    }

    void add(int pgno, byte[] page) throws IOException {
        if (count == pgnos.length) {
            pgnos = Arrays.copyOf(pgnos, count * 2);
        }
        if (count < memoryPages) {
            memory.add(Arrays.copyOf(page, pageSize));
        } else {
            writeSpill(count - memoryPages, page);
        }
        pgnos[count++] = pgno;
    }

    int count() {
        return count;
    }

    int pgno(int i) {
        return pgnos[i];
    }

    /** Page {@code i} (in staging order); may return an internal array, do not modify it. */
    byte[] page(int i, byte[] scratch) throws IOException {
        if (i < memoryPages) {
            return memory.get(i);
        }
        ByteBuffer buf = ByteBuffer.wrap(scratch, 0, pageSize);
        long pos = (long) (i - memoryPages) * pageSize;
        while (buf.hasRemaining()) {
            if (spill.read(buf, pos + buf.position()) < 0) {
                throw new IOException("staging file " + spillPath + " ends early");
            }
        }
        return scratch;
    }

    private void writeSpill(int i, byte[] page) throws IOException {
        if (spill == null) {
            spillPath = Files.createTempFile("ltx-stage-", ".pages");
            spill = FileChannel.open(spillPath, StandardOpenOption.READ, StandardOpenOption.WRITE,
                    StandardOpenOption.DELETE_ON_CLOSE);
        }
        ByteBuffer buf = ByteBuffer.wrap(page, 0, pageSize);
        long pos = (long) i * pageSize;
        while (buf.hasRemaining()) {
            spill.write(buf, pos + buf.position());
        }
    }

    @Override
    public void close() throws IOException {
        memory.clear();
        if (spill != null) {
            spill.close();
        }
    }
}
