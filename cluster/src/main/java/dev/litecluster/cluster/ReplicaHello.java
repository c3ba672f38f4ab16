package dev.litecluster.cluster;

import java.util.Map;

/**
 * What a replica sends to open a stream, and in each acknowledgement: its name, its URL, and the
 * position ({@code %016x/%016x}) of every database it has.
 */
public record ReplicaHello(String node, String url, Map<String, String> positions) {
}
