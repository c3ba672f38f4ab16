package dev.litecluster.fuse;

import dev.litecluster.fuse.passthrough.PassthroughFileSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A failing handler costs one request an EIO, never the mount; unsupported operations answer ENOSYS. */
class HandlerErrorsTest {
    static final class ExplodingPassthrough extends PassthroughFileSystem {
        ExplodingPassthrough(Path backing) {
            super(backing);
        }

        @Override
        public int lookup(Request req, long parent, String name, Entry entry) {
            if (name.equals("boom")) throw new IllegalStateException("handler bug");
            return super.lookup(req, parent, name, entry);
        }
    }

    static TestMount m;

    @BeforeAll
    static void mount() throws IOException {
        m = TestMount.create(ExplodingPassthrough::new, MountOptions.defaults());
    }

    @AfterAll
    static void unmount() throws IOException {
        if (m != null) m.close();
    }

    @Test
    void exceptionInAHandlerIsEioAndTheMountSurvives() throws IOException {
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> Files.readAttributes(m.mountPoint.resolve("boom"), "size"))
                    .isInstanceOf(IOException.class).hasMessageContaining("Input/output error");
        }
        Files.writeString(m.mountPoint.resolve("fine"), "still serving");
        assertThat(Files.readString(m.mountPoint.resolve("fine"))).isEqualTo("still serving");
        assertThat(m.mount.isMounted()).isTrue();
    }

    @Test
    void unsupportedOperationIsEnosys() throws Exception {
        // MKNOD (a FIFO) is not implemented
        Proc.Result r = Proc.run(Duration.ofSeconds(10), "mkfifo", m.mountPoint.resolve("fifo").toString());
        assertThat(r.exit()).isNotZero();
        assertThat(r.err()).contains("Function not implemented");
        Files.writeString(m.mountPoint.resolve("after"), "ok");
        assertThat(Files.readString(m.mountPoint.resolve("after"))).isEqualTo("ok");
    }
}
