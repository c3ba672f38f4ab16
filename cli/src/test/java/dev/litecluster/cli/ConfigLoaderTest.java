package dev.litecluster.cli;

import dev.litecluster.cli.config.Config;
import dev.litecluster.cli.config.ConfigException;
import dev.litecluster.cli.config.ConfigLoader;
import dev.litecluster.cli.config.GoDuration;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigLoaderTest {
    private final ConfigLoader loader = new ConfigLoader(Map.of("HOME_DIR", "/srv", "SECRET", "abc"));

    @Test
    void readsLitefsKeysAndExpandsVariables() throws ConfigException {
        Config c = loader.parse("litefs.yml", """
                fuse:
                  dir: ${HOME_DIR}/mnt
                data:
                  dir: $HOME_DIR/data
                lease:
                  type: static
                  candidate: true
                  advertise-url: http://node1:20202
                http:
                  addr: ":20203"
                  secret: ${SECRET}
                exec: "python3 app.py"
                """);
        assertThat(c.fuse.dir).isEqualTo("/srv/mnt");
        assertThat(c.data.dir).isEqualTo("/srv/data");
        assertThat(c.lease.advertiseUrl).isEqualTo("http://node1:20202");
        assertThat(c.http.addr).isEqualTo(":20203");
        assertThat(c.http.secret).isEqualTo("abc");
        assertThat(c.exec).isEqualTo(List.of("python3 app.py"));
    }

    @Test
    void durationsUseLitefsSyntax() throws ConfigException {
        assertThat(GoDuration.parse("k", "1h30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(GoDuration.parse("k", "500ms")).isEqualTo(Duration.ofMillis(500));
        assertThatThrownBy(() -> loader.parse("c.yml", "fuse:\n  dir: /m\ndata:\n  dir: /d\n  retention: ten minutes\n"))
                .hasMessage("c.yml: 'data.retention': 'ten minutes' is not a duration (like 30s, 10m, 1h)");
    }

    @Test
    void unknownKeyNamesTheKeyAndLine() {
        assertThatThrownBy(() -> loader.parse("litefs.yml", "fuse:\n  dir: /m\ndata:\n  dir: /d\n  keep: 5m\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("litefs.yml line 5: unknown key 'keep' in 'data'");
    }

    @Test
    void missingDirsAndUnsupportedLeaseAreClear() {
        assertThatThrownBy(() -> loader.parse("c.yml", "data:\n  dir: /d\n"))
                .hasMessage("c.yml: 'fuse.dir' is required (the directory apps open databases in)");
        assertThatThrownBy(() -> loader.parse("c.yml", "fuse:\n  dir: /m\ndata:\n  dir: /d\nlease:\n  type: zookeeper\n"))
                .hasMessageContaining("lease.type 'zookeeper' is not supported");
        assertThatThrownBy(() -> loader.parse("c.yml", "fuse: [1, 2\n"))
                .hasMessageStartingWith("c.yml line");
    }
}
