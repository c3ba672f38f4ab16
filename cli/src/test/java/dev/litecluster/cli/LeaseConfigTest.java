package dev.litecluster.cli;

import dev.litecluster.cli.config.Config;
import dev.litecluster.cli.config.ConfigException;
import dev.litecluster.cli.config.ConfigLoader;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The lease keys of litefs.yml: etcd, Consul, and LiteFS's {@code ${A == B}} expressions. */
class LeaseConfigTest {
    private static final String DIRS = "fuse: {dir: /m}\ndata: {dir: /d}\n";
    private final ConfigLoader loader = new ConfigLoader(Map.of("FLY_REGION", "ams", "PRIMARY_REGION", "ams",
            "OTHER_REGION", "fra"));

    @Test
    void etcdLease() throws ConfigException {
        Config c = loader.parse("c.yml", DIRS + """
                lease:
                  type: etcd
                  catch-up-wait: 3s
                  etcd: {endpoints: ["http://a:2379", "http://b:2379"], key: /app/primary, ttl: 2s}
                """);
        assertThat(c.lease.etcd.endpoints).isEqualTo(List.of("http://a:2379", "http://b:2379"));
        assertThat(c.lease.etcd.key).isEqualTo("/app/primary");
        assertThat(c.lease.etcd.ttl).isEqualTo("2s");
        assertThat(loader.parse("c.yml", DIRS + "lease: {type: etcd, candidate: true, promote: true, etcd: {endpoints: [http://a:2379]}}\n")
                .lease.promote).isTrue();
        assertThatThrownBy(() -> loader.parse("c.yml", DIRS + "lease: {type: static, candidate: true, promote: true}\n"))
                .hasMessageContaining("lease.promote needs lease.candidate: true and an etcd or consul lease");
        assertThatThrownBy(() -> loader.parse("c.yml", DIRS + "lease: {type: etcd}\n"))
                .hasMessageContaining("lease.etcd.endpoints");
    }

    @Test
    void consulLeaseWithLitefsKeys() throws ConfigException {
        Config c = loader.parse("c.yml", DIRS + """
                lease:
                  type: consul
                  consul: {url: "http://:token@consul:8500/prefix", key: litefs/primary, ttl: 10s, lock-delay: 1s}
                """);
        assertThat(c.lease.consul.url).isEqualTo("http://:token@consul:8500/prefix");
        assertThat(c.lease.consul.lockDelay).isEqualTo("1s");
        assertThatThrownBy(() -> loader.parse("c.yml", DIRS + "lease: {type: consul, consul: {url: http://c}}\n"))
                .hasMessageContaining("lease.consul.key");
    }

    @Test
    void candidateFromARegionComparison() throws ConfigException {
        assertThat(loader.parse("c.yml", DIRS + "lease: {type: etcd, candidate: ${FLY_REGION == PRIMARY_REGION},"
                + " etcd: {endpoints: [http://a:2379]}}\n").lease.candidate).isTrue();
        assertThat(loader.parse("c.yml", DIRS + "lease: {type: etcd, candidate: ${FLY_REGION == OTHER_REGION},"
                + " etcd: {endpoints: [http://a:2379]}}\n").lease.candidate).isFalse();
        assertThat(loader.parse("c.yml", DIRS + "lease: {type: etcd, candidate: ${ FLY_REGION != \"fra\" },"
                + " etcd: {endpoints: [http://a:2379]}}\n").lease.candidate).isTrue();
    }
}
