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
        /** {@code static} (one fixed primary), {@code etcd} or {@code consul} (the primary role moves). */
        public String type = "static";
        /** Whether this node may be primary; {@code ${FLY_REGION == PRIMARY_REGION}} works, as in LiteFS. */
        public boolean candidate = true;
        /** Once ready, ask the current primary to hand the lease to this candidate (rolling deploys). */
        public boolean promote;
        /** This node's name in {@code .primary} (static: the primary's; default: the machine's hostname). */
        public String hostname;
        /** This node's API URL (static replicas: the primary's); default {@code http://<hostname>:<port>}. */
        @JsonProperty("advertise-url")
        public String advertiseUrl;
        /** How long a candidate waits to catch up with the newest position it can see before taking the lease. */
        @JsonProperty("catch-up-wait")
        public String catchUpWait = "10s";
        public Etcd etcd = new Etcd();
        public Consul consul = new Consul();
    }

    public static final class Etcd {
        public List<String> endpoints = List.of();
        public String key = "/litecluster/primary";
        public String ttl = "5s";
    }

    public static final class Consul {
        /** Consul's URL; the password is the ACL token, the path a key prefix (as in LiteFS). */
        public String url;
        public String key;
        public String ttl = "10s";
        @JsonProperty("lock-delay")
        public String lockDelay = "1s";
    }

    public static final class Http {
        public String addr = ":20202";
        /** The cluster secret every node API request must carry (env LITECLUSTER_SECRET when unset). */
        public String secret;
    }
}
