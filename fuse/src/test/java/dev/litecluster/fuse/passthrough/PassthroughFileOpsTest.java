package dev.litecluster.fuse.passthrough;

import dev.litecluster.fuse.TestMount;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PassthroughFileOpsTest {
    static TestMount m;

    @BeforeAll
    static void mount() throws IOException {
        m = TestMount.passthrough();
    }

    @AfterAll
    static void unmount() throws IOException {
        if (m != null) m.close();
    }

    private Path mnt(String name) {
        return m.mountPoint.resolve(name);
    }

    private Path back(String name) {
        return m.backing.resolve(name);
    }

    @Test
    void createWriteReadAppendTruncate() throws IOException {
        Files.writeString(mnt("a.txt"), "hello world");
        assertThat(Files.readString(back("a.txt"))).isEqualTo("hello world");
        assertThat(Files.readString(mnt("a.txt"))).isEqualTo("hello world");
        Files.writeString(mnt("a.txt"), "!", java.nio.file.StandardOpenOption.APPEND);
        assertThat(Files.readString(back("a.txt"))).isEqualTo("hello world!");
        try (RandomAccessFile f = new RandomAccessFile(mnt("a.txt").toFile(), "rw")) {
            f.seek(6);
            f.write("WORLD".getBytes());
            f.setLength(8);
        }
        assertThat(Files.readString(back("a.txt"))).isEqualTo("hello WO");
        Files.writeString(mnt("a.txt"), "new"); // O_TRUNC
        assertThat(Files.readString(back("a.txt"))).isEqualTo("new");
        assertThat(Files.size(mnt("a.txt"))).isEqualTo(3);
    }

    @Test
    void largeWritesAndReadsSpanManyRequests() throws IOException {
        byte[] data = new byte[5 * 1024 * 1024 + 123];
        new java.util.Random(1).nextBytes(data);
        Files.write(mnt("big.bin"), data);
        assertThat(Files.readAllBytes(back("big.bin"))).isEqualTo(data);
        assertThat(Files.readAllBytes(mnt("big.bin"))).isEqualTo(data);
    }

    @Test
    void renameAndUnlink() throws IOException {
        Files.writeString(mnt("r1"), "x");
        Files.writeString(mnt("r2"), "y");
        Files.move(mnt("r1"), mnt("r3"));
        assertThat(back("r1")).doesNotExist();
        assertThat(Files.readString(back("r3"))).isEqualTo("x");
        Files.move(mnt("r3"), mnt("r2"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertThat(Files.readString(mnt("r2"))).isEqualTo("x");
        Files.delete(mnt("r2"));
        assertThat(back("r2")).doesNotExist();
        assertThat(mnt("r2")).doesNotExist();
        assertThatThrownBy(() -> Files.delete(mnt("r2"))).isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void directories() throws IOException {
        Files.createDirectories(mnt("d1/d2"));
        assertThat(back("d1/d2")).isDirectory();
        Files.writeString(mnt("d1/d2/f"), "nested");
        assertThatThrownBy(() -> Files.delete(mnt("d1"))).isInstanceOf(DirectoryNotEmptyException.class);
        Files.move(mnt("d1"), mnt("d9"));
        assertThat(Files.readString(mnt("d9/d2/f"))).isEqualTo("nested");
        assertThat(Files.readString(back("d9/d2/f"))).isEqualTo("nested");
        Files.delete(mnt("d9/d2/f"));
        Files.delete(mnt("d9/d2"));
        Files.delete(mnt("d9"));
        assertThat(back("d9")).doesNotExist();
    }

    @Test
    void readdirListsBackingEntries() throws IOException {
        Files.createDirectory(mnt("list"));
        for (int i = 0; i < 300; i++) Files.writeString(back("list/file-with-a-long-name-" + i), "" + i);
        try (Stream<Path> s = Files.list(mnt("list"))) {
            assertThat(s.map(p -> p.getFileName().toString())).hasSize(300).contains("file-with-a-long-name-299");
        }
        assertThat(Files.readString(mnt("list/file-with-a-long-name-7"))).isEqualTo("7");
    }

    @Test
    void chmodUtimensAndInodeNumbers() throws IOException {
        Files.writeString(mnt("attrs"), "a");
        Files.setPosixFilePermissions(mnt("attrs"), PosixFilePermissions.fromString("rw-r-----"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(back("attrs")))).isEqualTo("rw-r-----");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(mnt("attrs")))).isEqualTo("rw-r-----");
        FileTime t = FileTime.fromMillis(1_600_000_000_123L);
        Files.setLastModifiedTime(mnt("attrs"), t);
        assertThat(Files.getLastModifiedTime(back("attrs"))).isEqualTo(t);
        assertThat(Files.getLastModifiedTime(mnt("attrs"))).isEqualTo(t);
        assertThat(Files.getAttribute(mnt("attrs"), "unix:ino")).isEqualTo(Files.getAttribute(back("attrs"), "unix:ino"));
    }

    @Test
    void statfsReportsBackingFilesystem() throws IOException {
        var store = Files.getFileStore(m.mountPoint);
        assertThat(store.getTotalSpace()).isEqualTo(Files.getFileStore(m.backing).getTotalSpace());
        assertThat(store.type()).isEqualTo("fuse.litecluster");
    }
}
