package dev.litecluster.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.Map;

/** The node's id, stamped into every LTX record it writes; created once in {@code node.json}. */
public record NodeIdentity(long nodeId) {
    private static final ObjectMapper JSON = new ObjectMapper();

    static NodeIdentity load(Path file) throws IOException {
        if (Files.exists(file)) {
            JsonNode id = JSON.readTree(file.toFile()).path("nodeId");
            if (!id.isTextual() || !id.asText().matches("[0-9a-f]{16}")) {
                throw new IOException(file + ": \"nodeId\" must be 16 hex digits; fix or delete the file");
            }
            return new NodeIdentity(Long.parseUnsignedLong(id.asText(), 16));
        }
        long id = new SecureRandom().nextLong() & Long.MAX_VALUE;
        Path temp = file.resolveSibling("node.json.tmp");
        JSON.writeValue(temp.toFile(), Map.of("nodeId", "%016x".formatted(id)));
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
        return new NodeIdentity(id);
    }
}
