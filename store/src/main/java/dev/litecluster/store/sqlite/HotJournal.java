package dev.litecluster.store.sqlite;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.BitSet;
import java.util.function.Predicate;

/**
 * Plays back a hot rollback journal the way SQLite's {@code pager_playback} does: used at startup,
 * before any app can open the database, so the log and the database file agree again.
 */
public final class HotJournal {
    private static final byte[] MAGIC = {(byte) 0xd9, (byte) 0xd5, 0x05, (byte) 0xf9, 0x20, (byte) 0xa1, 0x63, (byte) 0xd7};

    private HotJournal() {
    }

    /** True when the journal exists and its first byte is non-zero (SQLite's "hot" test, minus the lock). */
    public static boolean isHot(Path journal) throws IOException {
        if (!Files.exists(journal) || Files.size(journal) == 0) {
            return false;
        }
        try (FileChannel in = FileChannel.open(journal, StandardOpenOption.READ)) {
            ByteBuffer first = ByteBuffer.allocate(1);
            return in.read(first, 0) == 1 && first.get(0) != 0;
        }
    }

    /**
     * Restores the pre-images from {@code journal} into {@code db}, truncates it to its size before the
     * transaction, and deletes the journal. A journal naming a super-journal that no longer exists
     * belongs to a committed multi-database transaction: it is only deleted.
     *
     * @return the pages written back
     */
    public static BitSet rollback(Path journal, FileChannel db, int dbPageSize, Predicate<String> superJournalExists)
            throws IOException {
        BitSet restored = new BitSet();
        try (FileChannel in = FileChannel.open(journal, StandardOpenOption.READ)) {
            long size = in.size();
            String superJournal = superJournalName(in, size);
            if (superJournal == null || superJournalExists.test(superJournal)) {
                playBack(in, size, db, dbPageSize, restored);
            }
        }
        db.force(false);
        Files.delete(journal);
        return restored;
    }

    private static void playBack(FileChannel in, long size, FileChannel db, int dbPageSize, BitSet restored) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(28);
        long offset = 0;
        int sectorSize = 0;
        int pageSize = 0;
        int originalPages = -1;
        while (offset + 28 <= size && read(in, header, offset)) {
            byte[] magic = Arrays.copyOf(header.array(), 8);
            if (!Arrays.equals(magic, MAGIC)) {
                break;
            }
            long records = Integer.toUnsignedLong(header.getInt(8));
            int checksumInit = header.getInt(12);
            if (originalPages < 0) {
                originalPages = header.getInt(16);
                sectorSize = header.getInt(20);
                pageSize = header.getInt(24) == 0 ? dbPageSize : header.getInt(24);
                if (sectorSize < 32 || sectorSize > 65536 || Integer.bitCount(sectorSize) != 1
                        || pageSize < 512 || pageSize > 65536 || Integer.bitCount(pageSize) != 1) {
                    return;
                }
                db.truncate((long) originalPages * pageSize);
            }
            offset += sectorSize;
            if (records == 0xFFFFFFFFL) {
                records = (size - offset) / (pageSize + 8);
            }
            ByteBuffer record = ByteBuffer.allocate(pageSize + 8);
            int lockPage = 0x40000000 / pageSize + 1;
            for (long r = 0; r < records; r++, offset += pageSize + 8) {
                if (!read(in, record, offset)) {
                    return;
                }
                int pgno = record.getInt(0);
                if (pgno == 0 || pgno == lockPage || record.getInt(4 + pageSize) != checksum(record.array(), pageSize, checksumInit)) {
                    return;
                }
                if (pgno <= originalPages) {
                    ByteBuffer data = ByteBuffer.wrap(record.array(), 4, pageSize);
                    long position = (long) (pgno - 1) * pageSize;
                    while (data.hasRemaining()) {
                        position += db.write(data, position);
                    }
                    restored.set(pgno);
                }
            }
            offset = (offset + sectorSize - 1) / sectorSize * sectorSize;
        }
    }

    private static int checksum(byte[] record, int pageSize, int init) {
        int sum = init;
        for (int i = pageSize - 200; i > 0; i -= 200) {
            sum += record[4 + i] & 0xff;
        }
        return sum;
    }

    /** The super-journal named at the end of the journal, or null. */
    private static String superJournalName(FileChannel in, long size) throws IOException {
        if (size < 16 + 4) {
            return null;
        }
        ByteBuffer tail = ByteBuffer.allocate(16);
        if (!read(in, tail, size - 16) || !Arrays.equals(Arrays.copyOfRange(tail.array(), 8, 16), MAGIC)) {
            return null;
        }
        int length = tail.getInt(0);
        if (length <= 0 || length > 4096 || size - 16 - length < 4) {
            return null;
        }
        ByteBuffer name = ByteBuffer.allocate(length);
        read(in, name, size - 16 - length);
        return new String(name.array(), StandardCharsets.UTF_8);
    }

    private static boolean read(FileChannel in, ByteBuffer buffer, long position) throws IOException {
        buffer.clear();
        while (buffer.hasRemaining()) {
            if (in.read(buffer, position + buffer.position()) < 0) {
                return false;
            }
        }
        buffer.flip();
        return true;
    }
}
