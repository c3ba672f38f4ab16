package dev.litecluster.cli.config;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;

/** The node's configuration file, in LiteFS's {@code litefs.yml} shape (the keys this build supports). */
public final class Config {
    public Fuse fuse = new Fuse();
    public Data data = new Data();
    public Lease lease = new Lease();
    public Http http = new Http();
    /** The app to run once the mount is ready; a string runs through {@code sh -c}. */
    @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
    public List<String> exec = List.of();

    public static final class Fuse {
        public String dir;
    }

    public static final class Data {
        public String dir;
        /** How much log history to keep at least (replicas and backup may need more). */
        public String retention = "10m";
        @JsonProperty("retention-monitor-interval")
        public String retentionMonitorInterval = "1m";
        /** A log segment is closed after this long (or 64 MiB); retention deletes whole segments. */
        @JsonProperty("segment-age")
        public String segmentAge = "60s";
    }

    public static final class Lease {
        public String type = "static";
        public boolean candidate = true;
        public String hostname;
        @JsonProperty("advertise-url")
        public String advertiseUrl;
    }

    public static final class Http {
        public String addr = ":20202";
        /** The cluster secret every node API request must carry (env LITECLUSTER_SECRET when unset). */
        public String secret;
    }
}
