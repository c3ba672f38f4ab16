package dev.litecluster.cluster.lease;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Who holds the lease: the primary's {@code lease.hostname} (what replicas show in {@code .primary}),
 * its node API URL, and the lease epoch it was taken with (0 in a value not yet stamped). Stored as
 * the lease key's JSON value: {@code {"hostname":…,"advertiseUrl":…,"epoch":…}}.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record PrimaryInfo(String hostname, String advertiseUrl, long epoch) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public PrimaryInfo withEpoch(long epoch) {
        return new PrimaryInfo(hostname, advertiseUrl, epoch);
    }

    /** True when both describe the same node (whatever the epoch). */
    public boolean sameNode(PrimaryInfo other) {
        return other != null && advertiseUrl.equals(other.advertiseUrl) && hostname.equals(other.hostname);
    }

    public byte[] toJson() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static PrimaryInfo fromJson(byte[] json) throws IOException {
        PrimaryInfo info = JSON.readValue(json, PrimaryInfo.class);
        if (info.hostname() == null || info.advertiseUrl() == null) {
            throw new IOException("lease value is not a primary description: " + new String(json, StandardCharsets.UTF_8));
        }
        return info;
    }
}
