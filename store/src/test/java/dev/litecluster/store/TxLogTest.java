package dev.litecluster.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class TxLogTest {
    @TempDir
    Path dir;

    private static void append(TxLog log, long txid, String text) throws IOException {
        TxLog.Append out = log.append(txid);
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.commit();
    }

    private static String read(TxLog log, long txid) throws IOException {
        return new String(log.readBytes(txid), StandardCharsets.UTF_8);
    }

    @Test
    void recordsSurviveReopen() throws IOException {
        try (TxLog log = TxLog.open(dir)) {
            for (long t = 1; t <= 5; t++) {
                append(log, t, "record " + t);
            }
        }
        try (TxLog log = TxLog.open(dir)) {
            assertThat(log.firstTxid()).isEqualTo(1);
            assertThat(log.lastTxid()).isEqualTo(5);
            assertThat(read(log, 3)).isEqualTo("record 3");
            append(log, 6, "record 6");
            assertThat(read(log, 6)).isEqualTo("record 6");
        }
    }

    @Test
    void recordsSmallerAndBiggerThanTheWriteBufferInterleave() throws IOException {
        String big = "0123456789abcdef".repeat(20_000); // 320 KB: streamed in several writes
        try (TxLog log = TxLog.open(dir)) {
            append(log, 1, "small");
            append(log, 2, big);
            append(log, 3, "small again");
            assertThat(read(log, 2)).isEqualTo(big);
        }
        try (TxLog log = TxLog.open(dir)) {
            assertThat(log.lastTxid()).isEqualTo(3);
            assertThat(read(log, 1)).isEqualTo("small");
            assertThat(read(log, 2)).isEqualTo(big);
            assertThat(read(log, 3)).isEqualTo("small again");
        }
    }

    @Test
    void frameHoldsA64BitLength() throws IOException {
        try (TxLog log = TxLog.open(dir)) {
            append(log, 7, "abc");
        }
        java.nio.ByteBuffer frame = java.nio.ByteBuffer.wrap(Files.readAllBytes(onlySegment()));
        assertThat(new String(frame.array(), 0, 4, StandardCharsets.US_ASCII)).isEqualTo("LCR2");
        assertThat(frame.getLong(4)).as("length").isEqualTo(3);
        assertThat(frame.getLong(12)).as("txid").isEqualTo(7);
        assertThat(frame.capacity()).isEqualTo(TxLog.FRAME_HEADER + 3);
    }

    @Test
    void segmentWithTheOldFramingIsRefused() throws IOException {
        Files.write(dir.resolve("0000000000000001.seg"), "LCR1 and the rest of an old frame".getBytes(StandardCharsets.US_ASCII));
        assertThatThrownBy(() -> TxLog.open(dir)).hasMessageContaining("old LCR1 framing");
    }

    @Test
    void outOfOrderAppendIsRefused() throws IOException {
        try (TxLog log = TxLog.open(dir)) {
            append(log, 1, "a");
            assertThatThrownBy(() -> log.append(3)).hasMessageContaining("out of order");
        }
    }

    /** A small record stays in the buffer; a big one (over the 64 KiB buffer) reaches the file unfinished. */
    @ParameterizedTest
    @ValueSource(ints = {12, 300_000})
    void uncommittedAppendLeavesNothing(int size) throws IOException {
        try (TxLog log = TxLog.open(dir)) {
            append(log, 1, "a");
            log.append(2).write(new byte[size]);
        }
        try (TxLog log = TxLog.open(dir)) {
            assertThat(log.lastTxid()).isEqualTo(1);
            append(log, 2, "b");
            assertThat(read(log, 2)).isEqualTo("b");
        }
    }

    @Test
    void tornTailIsDropped() throws IOException {
        try (TxLog log = TxLog.open(dir)) {
            append(log, 1, "first");
            append(log, 2, "second record");
        }
        Path segment = onlySegment();
        try (RandomAccessFile file = new RandomAccessFile(segment.toFile(), "rw")) {
            file.setLength(file.length() - 3);
        }
        try (TxLog log = TxLog.open(dir)) {
            assertThat(log.lastTxid()).isEqualTo(1);
            assertThat(read(log, 1)).isEqualTo("first");
        }
    }

    /** Appends two records to a log that is never closed (the process died), then flips the last byte. */
    private void crashWithTheLastByteCorrupted() throws IOException {
        TxLog crashed = TxLog.open(dir);
        append(crashed, 1, "first");
        append(crashed, 2, "second");
        try (RandomAccessFile file = new RandomAccessFile(onlySegment().toFile(), "rw")) {
            file.seek(file.length() - 1);
            file.write('X');
        }
    }

    @Test
    void corruptLastRecordIsDroppedAfterACrash() throws IOException {
        crashWithTheLastByteCorrupted();
        try (TxLog log = TxLog.open(dir)) {
            assertThat(log.lastTxid()).isEqualTo(1);
        }
    }

    @Test
    void tailKnownSyncedIsNotReadBackAfterACrash() throws IOException {
        crashWithTheLastByteCorrupted(); // a checksum mismatch, seen only if the record is read back
        try (TxLog log = TxLog.open(dir, TxLog.SEGMENT_LIMIT, TxLog.SEGMENT_AGE, 2)) {
            assertThat(log.lastTxid()).isEqualTo(2);
        }
    }

    /**
     * Appends records 1..8 over several segments to a log that is never closed (the process died),
     * then damages the payload of record 3 as an OS crash can (any unsynced write may be lost).
     */
    private void crashWithRecordThreeDamaged() throws IOException {
        TxLog crashed = TxLog.open(dir, 64, TxLog.SEGMENT_AGE, 0);
        for (long t = 1; t <= 8; t++) {
            append(crashed, t, "a record of some length " + t);
        }
        byte[] needle = "length 3".getBytes(StandardCharsets.UTF_8);
        for (Path segment : segments()) {
            byte[] bytes = Files.readAllBytes(segment);
            for (int i = 0; i + needle.length <= bytes.length; i++) {
                if (java.util.Arrays.equals(bytes, i, i + needle.length, needle, 0, needle.length)) {
                    bytes[i] = 'X';
                    Files.write(segment, bytes);
                    return;
                }
            }
        }
        throw new AssertionError("record 3 not found");
    }

    @Test
    void unsyncedRecordDamagedInTheMiddleEndsTheLogAfterACrash() throws IOException {
        crashWithRecordThreeDamaged();
        assertThat(segments()).hasSizeGreaterThan(2);
        try (TxLog log = TxLog.open(dir, 64, TxLog.SEGMENT_AGE, 1)) {
            assertThat(log.lastTxid()).isEqualTo(2);
            assertThat(read(log, 2)).isEqualTo("a record of some length 2");
            append(log, 3, "again 3");
        }
        try (TxLog log = TxLog.open(dir, 64, TxLog.SEGMENT_AGE, 0)) {
            assertThat(log.lastTxid()).isEqualTo(3);
            assertThat(read(log, 3)).isEqualTo("again 3");
        }
    }

    @Test
    void syncedRecordsAreTrustedAfterACrash() throws IOException {
        crashWithRecordThreeDamaged(); // a checksum mismatch, seen only if the record is read back
        try (TxLog log = TxLog.open(dir, 64, TxLog.SEGMENT_AGE, 3)) {
            assertThat(log.lastTxid()).isEqualTo(8);
        }
    }

    @Test
    void syncedTailKeepsZerosAheadThatACrashAndACloseBothLeaveOut() throws IOException {
        TxLog crashed = TxLog.open(dir);
        append(crashed, 1, "first");
        crashed.sync();
        await("zeros written ahead after the sync").atMost(Duration.ofSeconds(10))
                .until(() -> Files.size(onlySegment()) > TxLog.RESERVE);
        long end = Files.size(onlySegment()) - TxLog.RESERVE;
        assertThat(end).as("data before the zeros").isPositive();
        append(crashed, 2, "second, written over the zeros");
        crashed.sync();
        assertThat(Files.size(onlySegment())).as("still within the reserve").isEqualTo(end + TxLog.RESERVE);
        // the process dies: the log was never closed
        try (TxLog log = TxLog.open(dir)) {
            assertThat(log.lastTxid()).isEqualTo(2);
            assertThat(read(log, 2)).isEqualTo("second, written over the zeros");
            append(log, 3, "third");
            log.sync();
        }
        long closedSize = Files.size(onlySegment());
        try (TxLog log = TxLog.open(dir)) {
            assertThat(log.lastTxid()).isEqualTo(3);
            assertThat(read(log, 3)).isEqualTo("third");
        }
        assertThat(Files.size(onlySegment())).as("a closed segment ends with its last record").isEqualTo(closedSize);
        byte[] bytes = Files.readAllBytes(onlySegment());
        assertThat(bytes[bytes.length - 1]).isEqualTo((byte) 'd');
    }

    /** A log synced only now and then (a WAL checkpoint) grows its file; one synced every record or few keeps zeros ahead. */
    @Test
    void zerosAreWrittenAheadOnlyForFrequentSyncs() throws Exception {
        try (TxLog log = TxLog.open(dir)) {
            for (long t = 1; t <= TxLog.RENEW_AFTER_RECORDS + 1; t++) {
                append(log, t, "record " + t);
            }
            log.sync();
            Thread.sleep(300); // a renewal would have started by now
            long end = Files.size(onlySegment());
            assertThat(end).as("no zeros after a sync of many records").isLessThan(TxLog.RESERVE);
            append(log, TxLog.RENEW_AFTER_RECORDS + 2, "one more");
            log.sync();
            await("zeros written ahead after a sync of one record").atMost(Duration.ofSeconds(10))
                    .until(() -> Files.size(onlySegment()) > TxLog.RESERVE);
        }
    }

    @Test
    void truncateAfterAndRetentionWorkAcrossSegments() throws IOException {
        try (TxLog log = TxLog.open(dir, 64, TxLog.SEGMENT_AGE, 0)) {
            for (long t = 1; t <= 10; t++) {
                append(log, t, "a record of some length " + t);
            }
            assertThat(segments()).hasSizeGreaterThan(3);
            log.truncateAfter(7);
            assertThat(log.lastTxid()).isEqualTo(7);
            append(log, 8, "again 8");
            assertThat(read(log, 8)).isEqualTo("again 8");
            log.deleteBefore(5, Long.MAX_VALUE);
            assertThat(log.firstTxid()).isGreaterThan(1).isLessThanOrEqualTo(5);
            assertThat(read(log, 5)).isEqualTo("a record of some length 5");
        }
        try (TxLog log = TxLog.open(dir, 64, TxLog.SEGMENT_AGE, 0)) {
            assertThat(log.lastTxid()).isEqualTo(8);
            assertThat(read(log, 8)).isEqualTo("again 8");
        }
    }

    @Test
    void retentionKeepsRecentSegmentsAndTheTail() throws IOException {
        try (TxLog log = TxLog.open(dir, 64, TxLog.SEGMENT_AGE, 0)) {
            for (long t = 1; t <= 10; t++) {
                append(log, t, "a record of some length " + t);
            }
            Path[] all = segments();
            long now = System.currentTimeMillis();
            for (int i = 0; i < all.length; i++) {
                long age = i < 2 ? 20 * 60_000L : 60_000L; // the two oldest segments are 20 minutes old
                Files.setLastModifiedTime(all[i], java.nio.file.attribute.FileTime.fromMillis(now - age));
            }
            assertThat(log.deleteBefore(Long.MAX_VALUE, now - 10 * 60_000L)).isEqualTo(2);
            assertThat(segments()).hasSize(all.length - 2);
            assertThat(log.deleteBefore(Long.MAX_VALUE, now)).isEqualTo(all.length - 3);
            assertThat(segments()).as("the segment being appended to stays").hasSize(1);
            assertThat(log.lastTxid()).isEqualTo(10);
            assertThat(read(log, 10)).isEqualTo("a record of some length 10");
        }
    }

    private Path onlySegment() throws IOException {
        assertThat(segments()).hasSize(1);
        return segments()[0];
    }

    private Path[] segments() throws IOException {
        try (Stream<Path> list = Files.list(dir)) {
            return list.filter(p -> p.toString().endsWith(".seg")).sorted().toArray(Path[]::new);
        }
    }
}
