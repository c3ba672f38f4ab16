package dev.litecluster.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Who this node is, kept in {@code node.json}: its node id, stamped into every LTX record it writes
 * (created once), and the id of the cluster it belongs to — made by the first primary, taken from
 * the primary by a replica that has none, and compared on every stream so that a node of another
 * cluster is refused instead of replicating the wrong data.
 */
public final class NodeIdentity {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern CLUSTER_ID = Pattern.compile("LC[0-9A-F]{16}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path file;
    private final long nodeId;
    private volatile String clusterId;

    private NodeIdentity(Path file, long nodeId, String clusterId) {
        this.file = file;
        this.nodeId = nodeId;
        this.clusterId = clusterId;
    }

    static NodeIdentity load(Path file) throws IOException {
        if (!Files.exists(file)) {
            NodeIdentity created = new NodeIdentity(file, RANDOM.nextLong() & Long.MAX_VALUE, null);
            created.save();
            return created;
        }
        JsonNode json = JSON.readTree(file.toFile());
        JsonNode id = json.path("nodeId");
        if (!id.isTextual() || !id.asText().matches("[0-9a-f]{16}")) {
            throw new IOException(file + ": \"nodeId\" must be 16 hex digits; fix or delete the file");
        }
        String cluster = json.path("clusterId").isTextual() ? json.path("clusterId").asText() : null;
        if (cluster != null && !CLUSTER_ID.matcher(cluster).matches()) {
            throw new IOException(file + ": \"clusterId\" must be LC and 16 hex digits; fix it or remove the key");
        }
        return new NodeIdentity(file, Long.parseUnsignedLong(id.asText(), 16), cluster);
    }

    public long nodeId() {
        return nodeId;
    }

    /** The cluster this node belongs to, or null while it has not been primary nor followed one. */
    public String clusterId() {
        return clusterId;
    }

    /** The cluster id, made now (and saved) when this node has none: it is starting a cluster. */
    public synchronized String clusterIdOrCreate() throws IOException {
        if (clusterId == null) {
            join("LC%016X".formatted(RANDOM.nextLong()));
        }
        return clusterId;
    }

    /** Records that this node belongs to cluster {@code id} (a replica taking its primary's). */
    public synchronized void join(String id) throws IOException {
        if (!CLUSTER_ID.matcher(id).matches()) {
            throw new IOException("not a cluster id: " + id);
        }
        String before = clusterId;
        clusterId = id;
        try {
            save();
        } catch (IOException e) {
            clusterId = before;
            throw e;
        }
    }

    private void save() throws IOException {
        Map<String, String> json = new LinkedHashMap<>();
        json.put("nodeId", "%016x".formatted(nodeId));
        if (clusterId != null) {
            json.put("clusterId", clusterId);
        }
        Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        JSON.writeValue(temp.toFile(), json);
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
    }
}
