package dev.litecluster.cluster;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

import java.util.List;

/** What {@code GET /status} reports about a node (fields a newer node adds are ignored by an older one). */
@JsonIgnoreProperties(ignoreUnknown = true)
public record NodeStatus(String hostname, String role, boolean candidate, String advertiseUrl, String clusterId,
                         List<DatabaseStatus> databases,
                         List<PeerStatus> peers, String primary, long lagMillis) {

    /** One database: its position and what its log holds. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record DatabaseStatus(String name, long txid, String checksum, int pageSize, long logFirstTxid,
                                 long logLastTxid) {
    }
}
