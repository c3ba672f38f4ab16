package dev.litecluster.cluster;

import java.util.Map;

/**
 * What a replica sends to open a stream, and in each acknowledgement: its name, its node API URL,
 * whether it may become primary, the cluster it belongs to (null before it has joined one), and the
 * position ({@code %016x/%016x}) of every database it has.
 */
public record ReplicaHello(String node, String url, boolean candidate, String clusterId, Map<String, String> positions) {
}
