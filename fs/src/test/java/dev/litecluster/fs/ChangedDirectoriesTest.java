package dev.litecluster.fs;

import dev.litecluster.fuse.sys.Errno;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class ChangedDirectoriesTest {
    @TempDir
    Path dir;

    @Test
    void changedDirectoriesAreSyncedOnceAndVanishedOnesSkipped() throws Exception {
        ChangedDirectories changed = new ChangedDirectories();
        Path kept = Files.createDirectory(dir.resolve("kept"));
        Path gone = Files.createDirectory(dir.resolve("gone"));
        changed.add(kept);
        changed.add(gone);
        Files.delete(gone);
        assertThat(changed.sync(false)).isZero();
        assertThat(changed.isEmpty()).isTrue();
    }

    @Test
    void aDirectoryThatCannotBeSyncedStaysChanged() throws Exception {
        ChangedDirectories changed = new ChangedDirectories();
        changed.add(Files.createFile(dir.resolve("not-a-directory")));
        assertThat(changed.sync(true)).isEqualTo(-Errno.ENOTDIR);
        assertThat(changed.isEmpty()).isFalse();
    }
}
