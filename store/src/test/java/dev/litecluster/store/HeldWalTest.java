package dev.litecluster.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Random writes (frame headers and pages, overwrites, holes), truncates and reads of a held WAL
 * checked against a byte array; then the spill writes exactly those bytes into the file, and from
 * there on it holds nothing.
 */
class HeldWalTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void readsSizesAndTheSpillMatchAByteArray(long seed) throws IOException {
        Random random = new Random(seed);
        HeldWal wal = new HeldWal();
        assertThat(wal.read(0, MemorySegment.ofArray(new byte[8]), 8)).as("not holding: read the file").isEqualTo(-1);
        wal.start();
        byte[] model = new byte[0];
        for (int step = 0; step < 400; step++) {
            int op = random.nextInt(10);
            if (op < 7) {
                long offset = random.nextBoolean() ? model.length : random.nextInt(model.length + 200_000);
                byte[] data = new byte[random.nextBoolean() ? 24 : random.nextInt(1, 70_000)];
                random.nextBytes(data);
                assertThat(wal.write(offset, MemorySegment.ofArray(data))).isTrue();
                if (offset + data.length > model.length) {
                    model = Arrays.copyOf(model, (int) offset + data.length);
                }
                System.arraycopy(data, 0, model, (int) offset, data.length);
            } else if (op < 8) {
                int size = random.nextInt(model.length + 100_000);
                wal.truncate(size);
                int old = model.length;
                model = Arrays.copyOf(model, size);
                if (size > old) {
                    Arrays.fill(model, old, size, (byte) 0);
                }
            } else {
                long offset = random.nextInt(model.length + 10);
                byte[] read = new byte[random.nextInt(1, 140_000)];
                int n = wal.read(offset, MemorySegment.ofArray(read), read.length);
                int expected = (int) Math.max(0, Math.min(read.length, model.length - offset));
                assertThat(n).as("step %d: bytes read at %d", step, offset).isEqualTo(expected);
                assertThat(Arrays.copyOf(read, n)).isEqualTo(Arrays.copyOfRange(model, (int) Math.min(offset, model.length),
                        (int) Math.min(offset, model.length) + n));
            }
            assertThat(wal.size()).isEqualTo(model.length);
        }
        Path file = dir.resolve("wal");
        long changes = wal.changes();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            wal.spill(channel);
        }
        assertThat(Files.readAllBytes(file)).isEqualTo(model);
        assertThat(wal.holding()).isFalse();
        assertThat(wal.changes()).as("a size read around the spill is not believed").isNotEqualTo(changes);
        assertThat(wal.size()).isEqualTo(-1);
        assertThat(wal.write(0, MemorySegment.ofArray(new byte[32]))).as("the file takes later writes").isFalse();
    }

    @Test
    void allWalsTogetherHoldAtMostTheirLimit() {
        int each = (int) (HeldWal.LIMIT - (1 << 20));
        List<HeldWal> wals = new ArrayList<>();
        try {
            for (long held = 0; held + each <= HeldWal.ALL_LIMIT; held += each) {
                HeldWal wal = new HeldWal();
                wal.start();
                wals.add(wal);
                assertThat(wal.write(0, MemorySegment.ofArray(new byte[each]))).isTrue();
            }
            HeldWal last = new HeldWal();
            last.start();
            wals.add(last);
            byte[] more = new byte[8 << 20];
            assertThat(last.write(0, MemorySegment.ofArray(more))).as("past the limit of all WALs").isFalse();
            wals.getFirst().truncate(0);
            assertThat(last.write(0, MemorySegment.ofArray(more))).as("after another WAL was cut").isTrue();
        } finally {
            wals.forEach(HeldWal::stop);
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {HeldWal.LIMIT - 4095, HeldWal.LIMIT - 1})
    void aWritePastTheLimitIsRefused(long offset) {
        HeldWal wal = new HeldWal();
        wal.start();
        assertThat(wal.write(offset, MemorySegment.ofArray(new byte[4096]))).isFalse();
        assertThat(wal.write(offset - 4096, MemorySegment.ofArray(new byte[4096]))).isTrue();
        wal.stop();
    }
}
