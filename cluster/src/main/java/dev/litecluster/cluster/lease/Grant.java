package dev.litecluster.cluster.lease;

import java.time.Duration;

/**
 * A lease this node acquired: the coordination service's handle for it (etcd lease id, Consul
 * session id), the epoch it fences with (larger for every later holder) and the TTL the service
 * granted, which may be longer than the one asked for.
 */
public record Grant(String id, long epoch, Duration ttl) {
}
