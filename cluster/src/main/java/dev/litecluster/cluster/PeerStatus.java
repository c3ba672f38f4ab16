package dev.litecluster.cluster;

import java.util.Map;

/** A replica as the primary sees it: its acknowledged positions, and how long ago it was heard from. */
public record PeerStatus(String node, String url, boolean candidate, boolean connected, long lastSeenMillisAgo,
                         Map<String, String> positions) {
}
