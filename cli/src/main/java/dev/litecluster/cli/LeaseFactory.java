package dev.litecluster.cli;

import dev.litecluster.cli.config.Config;
import dev.litecluster.cli.config.ConfigException;
import dev.litecluster.cli.config.GoDuration;
import dev.litecluster.cluster.lease.ConsulLease;
import dev.litecluster.cluster.lease.EtcdLease;
import dev.litecluster.cluster.lease.Lease;
import dev.litecluster.cluster.lease.PrimaryInfo;
import dev.litecluster.cluster.lease.StaticLease;

import java.io.IOException;

/** Opens the lease {@code lease.type} names, with its {@code lease.*} settings. */
final class LeaseFactory {
    private LeaseFactory() {
    }

    /**
     * @param self this node as the primary it would be (for a static lease: the configured primary
     *             when this node is the candidate)
     */
    static Lease open(Config config, PrimaryInfo self) throws ConfigException, IOException {
        Config.Lease lease = config.lease;
        return switch (lease.type) {
            case "static" -> new StaticLease(lease.candidate ? self
                    : new PrimaryInfo(lease.hostname != null ? lease.hostname : "primary", lease.advertiseUrl, 1),
                    lease.candidate);
            case "etcd" -> new EtcdLease(lease.etcd.endpoints, lease.etcd.key, GoDuration.parse("lease.etcd.ttl", lease.etcd.ttl));
            case "consul" -> new ConsulLease(lease.consul.url, lease.consul.key,
                    GoDuration.parse("lease.consul.ttl", lease.consul.ttl),
                    GoDuration.parse("lease.consul.lock-delay", lease.consul.lockDelay));
            default -> throw new ConfigException("lease.type '" + lease.type + "' is not supported");
        };
    }
}
