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
    void namesTheFirstTxidNotYetSyncedInTheDatabaseFile() throws IOException {
        Path file = dir.resolve("applying");
        assertThat(ApplyMarker.read(file)).isZero();
        try (ApplyMarker marker = new ApplyMarker(file)) {
            marker.cover(100, true);
            assertThat(ApplyMarker.read(file)).isEqualTo(100);
            marker.cover(101, true);
            assertThat(ApplyMarker.read(file)).as("an earlier batch is still not synced").isEqualTo(100);
            marker.synced(101, 103, false);
            assertThat(ApplyMarker.read(file)).as("synced through 101, 102 and 103 applied since").isEqualTo(102);
            marker.synced(103, 103, false);
            assertThat(ApplyMarker.read(file)).isZero();
            assertThat(marker.pending()).isFalse();
            marker.cover(Long.MAX_VALUE, true);
            assertThat(ApplyMarker.read(file)).isEqualTo(Long.MAX_VALUE);
            assertThat(marker.pending()).isTrue();
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
