package dev.litecluster.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ApplyMarkerTest {
    @TempDir
    Path dir;

    @Test
    void namesTheBatchBeingWrittenAndNothingOnceItIsDone() throws IOException {
        Path file = dir.resolve("applying");
        assertThat(ApplyMarker.read(file)).isZero();
        try (ApplyMarker marker = new ApplyMarker(file)) {
            marker.set(1234567);
            assertThat(ApplyMarker.read(file)).isEqualTo(1234567);
            marker.clear();
            assertThat(ApplyMarker.read(file)).isZero();
            marker.set(Long.MAX_VALUE);
            assertThat(ApplyMarker.read(file)).isEqualTo(Long.MAX_VALUE);
        }
    }

    @Test
    void readsTheMarkerAnOlderVersionLeftAndRefusesADamagedOne() throws IOException {
        Path file = dir.resolve("applying");
        Files.writeString(file, "42");
        assertThat(ApplyMarker.read(file)).isEqualTo(42);
        Files.writeString(file, "4x2");
        assertThatThrownBy(() -> ApplyMarker.read(file)).hasMessageContaining("apply marker").hasMessageContaining("damaged");
    }
}
