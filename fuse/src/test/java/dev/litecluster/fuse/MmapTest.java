package dev.litecluster.fuse;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Shared mappings of one file through the mount are coherent across processes (what SQLite's -shm needs). */
class MmapTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final String FIRST = """
            import mmap, os, sys
            fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
            os.ftruncate(fd, 16384)
            m = mmap.mmap(fd, 16384, mmap.MAP_SHARED)
            m[5000:5012] = b"hello from A"
            print("written", flush=True)
            sys.stdin.readline()
            print(m[9000:9012].decode(), flush=True)
            """;
    private static final String SECOND = """
            import mmap, os, sys
            fd = os.open(sys.argv[1], os.O_RDWR)
            m = mmap.mmap(fd, 16384, mmap.MAP_SHARED)
            print(m[5000:5012].decode(), flush=True)
            m[9000:9012] = b"reply from B"
            """;

    static TestMount cached;
    static TestMount directIo;

    @BeforeAll
    static void mount() throws IOException {
        cached = TestMount.passthrough();
        directIo = TestMount.create(b -> new PassthroughMain.DirectIoPassthrough(b,
                dev.litecluster.fuse.passthrough.CacheTimeouts.defaults(), List.of("")), MountOptions.defaults());
    }

    @AfterAll
    static void unmount() throws IOException {
        if (cached != null) cached.close();
        if (directIo != null) directIo.close();
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void writesThroughOneMappingAreSeenThroughAnotherProcesssMapping(boolean direct) throws Exception {
        TestMount m = direct ? directIo : cached;
        Path file = m.mountPoint.resolve("shared.shm");
        Process a = Proc.startPython(FIRST, file);
        BufferedReader aOut = new BufferedReader(new InputStreamReader(a.getInputStream(), StandardCharsets.UTF_8));
        assertThat(aOut.readLine()).isEqualTo("written");
        assertThat(Proc.python(TIMEOUT, SECOND, file).ok().out().trim()).isEqualTo("hello from A");
        try (Writer w = a.outputWriter()) {
            w.write("\n");
        }
        assertThat(aOut.readLine()).isEqualTo("reply from B");
        Proc.finish(a, TIMEOUT).ok();
        // dirty mapped pages are written back to the backing file when the mappings go away
        await().atMost(TIMEOUT).untilAsserted(() -> {
            byte[] backing = Files.readAllBytes(m.backing.resolve("shared.shm"));
            assertThat(new String(backing, 5000, 12, StandardCharsets.US_ASCII)).isEqualTo("hello from A");
            assertThat(new String(backing, 9000, 12, StandardCharsets.US_ASCII)).isEqualTo("reply from B");
        });
    }
}
