package dev.litecluster.cluster;

import java.util.List;

/** What {@code GET /status} reports about a node. */
public record NodeStatus(String hostname, String role, boolean candidate, String advertiseUrl, String clusterId,
                         List<DatabaseStatus> databases,
                         List<PeerStatus> peers, String primary, long lagMillis) {

    /** One database: its position and what its log holds. */
    public record DatabaseStatus(String name, long txid, String checksum, int pageSize, long logFirstTxid,
                                 long logLastTxid) {
    }
}
