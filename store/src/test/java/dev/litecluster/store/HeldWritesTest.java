package dev.litecluster.store;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Held writes against a model: the file as the app wrote it, a byte array. Random page writes,
 * growth, shrinks and regrowth; every read in between sees the model, the file itself keeps its old
 * content until the commit writes everything, and then equals the model.
 */
class HeldWritesTest {
    private static final int PAGE = 1024;

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
    void readsAndTheWrittenFileMatchTheModel(long seed) throws IOException {
        Random random = new Random(seed);
        byte[] initial = new byte[PAGE * random.nextInt(0, 20)];
        random.nextBytes(initial);
        Path path = dir.resolve("db");
        Files.write(path, initial);
        try (FileChannel file = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            HeldWrites held = new HeldWrites();
            byte[] model = initial.clone();
            for (int step = 0; step < 60; step++) {
                int choice = random.nextInt(10);
                if (choice < 7) {
                    byte[] data = new byte[PAGE * random.nextInt(1, 3)];
                    random.nextBytes(data);
                    int at = PAGE * random.nextInt(0, model.length / PAGE + 4);
                    held.write(at, MemorySegment.ofArray(data), file);
                    model = Arrays.copyOf(model, Math.max(model.length, at + data.length));
                    System.arraycopy(data, 0, model, at, data.length);
                } else {
                    int size = PAGE * random.nextInt(0, model.length / PAGE + 3);
                    held.truncate(size, file);
                    model = Arrays.copyOf(model, size); // growth by a resize reads as zeros
                }
                assertThat(held.size(file)).isEqualTo(model.length);
                int offset = random.nextInt(0, model.length + PAGE);
                int length = random.nextInt(1, 3 * PAGE);
                byte[] read = new byte[length];
                int n = held.read(offset, MemorySegment.ofArray(read), length, file);
                int expected = Math.max(0, Math.min(length, model.length - offset));
                assertThat(n).as("seed %d step %d: bytes read", seed, step).isEqualTo(expected);
                assertThat(Arrays.copyOf(read, n)).as("seed %d step %d: content", seed, step)
                        .isEqualTo(Arrays.copyOfRange(model, Math.min(offset, model.length), Math.min(offset, model.length) + n));
            }
            assertThat(Files.readAllBytes(path)).as("the file is untouched until the commit").isEqualTo(initial);
            held.writeTo(file);
            assertThat(held.active()).isFalse();
            assertThat(content(file)).as("seed %d: the file after the commit", seed).isEqualTo(model);
        }
    }

    private static byte[] content(FileChannel file) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate((int) file.size());
        while (buffer.hasRemaining() && file.read(buffer, buffer.position()) >= 0) {
            // to the end
        }
        return buffer.array();
    }
}
