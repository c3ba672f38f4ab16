package dev.litecluster.fuse;

import dev.litecluster.fuse.passthrough.CacheTimeouts;
import dev.litecluster.fuse.passthrough.Node;
import dev.litecluster.fuse.passthrough.NodeTable;
import dev.litecluster.fuse.passthrough.PassthroughFileSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** Changes made behind the kernel's back stay invisible until the filesystem notifies the kernel. */
class NotifierTest {
    /** Caches everything for a minute and keeps page caches across opens, so only notifications refresh them. */
    static final class CachingPassthrough extends PassthroughFileSystem {
        CachingPassthrough(Path backing) {
            super(backing, new CacheTimeouts(Duration.ofMinutes(1), Duration.ofMinutes(1), Duration.ofMinutes(1)));
        }

        @Override
        protected int onOpen(Request req, Node node, int flags, OpenResult result) {
            result.keepCache = true;
            return 0;
        }

        long nodeid(String name) {
            return nodes().child(NodeTable.ROOT, name).id();
        }
    }

    static TestMount m;
    static CachingPassthrough fs;

    @BeforeAll
    static void mount() throws IOException {
        m = TestMount.create(CachingPassthrough::new, MountOptions.defaults());
        fs = (CachingPassthrough) m.fs;
    }

    @AfterAll
    static void unmount() throws IOException {
        if (m != null) m.close();
    }

    @Test
    void invalidateDataShowsABackingFileChangedBehindTheKernel() throws Exception {
        Path file = m.mountPoint.resolve("data");
        Files.writeString(file, "A".repeat(8192));
        assertThat(Files.readString(file)).startsWith("AAAA");
        Files.writeString(m.backing.resolve("data"), "B".repeat(8192));
        assertThat(Files.readString(file)).as("cached").startsWith("AAAA");

        assertThat(m.mount.notifier().invalidateData(fs.nodeid("data"), 0, 0).get()).isZero();
        assertThat(Files.readString(file)).isEqualTo("B".repeat(8192));
    }

    @Test
    void storePutsDataIntoThePageCache() throws Exception {
        Path file = m.mountPoint.resolve("stored");
        Files.writeString(file, "x".repeat(4096));
        assertThat(Files.readString(file)).startsWith("xxxx");
        assertThat(m.mount.notifier().store(fs.nodeid("stored"), 0, "STORED".getBytes())).isZero();
        assertThat(Files.readString(file)).startsWith("STOREDxxx");
        assertThat(Files.readString(m.backing.resolve("stored"))).as("backing untouched").startsWith("xxxx");
    }

    @Test
    void invalidateEntryShowsAFileCreatedBehindTheKernel() throws Exception {
        Path file = m.mountPoint.resolve("late");
        assertThat(Files.exists(file)).isFalse(); // cached as a negative entry
        Files.writeString(m.backing.resolve("late"), "here");
        assertThat(Files.exists(file)).as("negative entry cached").isFalse();

        assertThat(m.mount.notifier().invalidateEntry(NodeTable.ROOT, "late").get()).isZero();
        assertThat(Files.readString(file)).isEqualTo("here");
    }

    @Test
    void deleteRemovesAnEntryDeletedBehindTheKernel() throws Exception {
        Path file = m.mountPoint.resolve("gone");
        Files.writeString(file, "soon gone");
        long nodeid = fs.nodeid("gone");
        Files.delete(m.backing.resolve("gone"));
        assertThat(Files.exists(file)).as("entry cached").isTrue();

        assertThat(m.mount.notifier().delete(NodeTable.ROOT, nodeid, "gone").get()).isZero();
        assertThat(Files.exists(file)).isFalse();
    }
}
