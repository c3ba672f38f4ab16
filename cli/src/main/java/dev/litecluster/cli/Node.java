package dev.litecluster.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.litecluster.cli.config.Config;
import dev.litecluster.cli.config.ConfigException;
import dev.litecluster.cli.config.GoDuration;
import dev.litecluster.cluster.ApiException;
import dev.litecluster.cluster.DatabaseTransfer;
import dev.litecluster.cluster.NodeApi;
import dev.litecluster.cluster.NodeStatus;
import dev.litecluster.cluster.ReplicationClient;
import dev.litecluster.cluster.ReplicationServer;
import dev.litecluster.fs.ClusterView;
import dev.litecluster.fs.LiteclusterFileSystem;
import dev.litecluster.fs.ReplicaApplier;
import dev.litecluster.fs.SnapshotWriter;
import dev.litecluster.fuse.FuseMount;
import dev.litecluster.store.Database;
import dev.litecluster.store.Retention;
import dev.litecluster.store.Store;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/** A running node: its data directory, its mount, and its HTTP API. */
final class Node implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Node.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Config config;
    private final Store store;
    private final FuseMount mount;
    private final NodeApi api;
    private final DatabaseTransfer transfer;
    private final Retention retention;
    private final ReplicationServer server;
    private final ReplicationClient client;
    private boolean closed;

    private Node(Config config, Store store, FuseMount mount, NodeApi api, DatabaseTransfer transfer,
                 Retention retention, ReplicationServer server, ReplicationClient client) {
        this.config = config;
        this.store = store;
        this.mount = mount;
        this.api = api;
        this.transfer = transfer;
        this.retention = retention;
        this.server = server;
        this.client = client;
    }

    /**
     * Opens the store, mounts it, starts the API, and takes the role the static lease gives: the
     * candidate is the primary (serves the replication stream), every other node a replica of the
     * primary at {@code lease.advertise-url}. Undoes what was done when a step fails.
     */
    static Node start(Config config) throws IOException, ConfigException {
        Duration keep = GoDuration.parse("data.retention", config.data.retention);
        Duration interval = GoDuration.parse("data.retention-monitor-interval", config.data.retentionMonitorInterval);
        boolean primary = config.lease.candidate;
        Path mountDir = Path.of(config.fuse.dir);
        Files.createDirectories(mountDir);
        Duration segmentAge = GoDuration.parse("data.segment-age", config.data.segmentAge);
        Store store = Store.open(Path.of(config.data.dir), segmentAge);
        AtomicReference<ReplicationClient> link = new AtomicReference<>();
        ClusterView view = primary ? ClusterView.PRIMARY : new ReplicaView(link);
        FuseMount mount = null;
        NodeApi api = null;
        try {
            mount = FuseMount.mount(mountDir, new LiteclusterFileSystem(store, view));
            Path scratch = Files.createDirectories(store.dir().resolve("tmp"));
            api = new NodeApi(config.http.addr, config.http.secret);
            ReplicationServer server = null;
            Retention retention;
            if (primary) {
                server = new ReplicationServer(store, new SnapshotWriter(mountDir)::write, scratch,
                        config.lease.hostname != null ? config.lease.hostname : selfName(config));
                server.register(api);
                ReplicationServer replication = server;
                retention = new Retention(store, keep, db -> replication.neededFrom(db, keep.toMillis())).start(interval);
            } else {
                retention = new Retention(store, keep, database -> Long.MAX_VALUE).start(interval);
            }
            Node node = new Node(config, store, mount, api, new DatabaseTransfer(mountDir, scratch), retention, server,
                    primary ? null : replicaClient(config, store, mountDir, scratch));
            node.routes().start();
            if (node.client != null) {
                link.set(node.client.start());
            }
            LOG.info("mounted {} (data {}), {} on a static lease", mountDir, config.data.dir,
                    primary ? "primary" : "replica of " + config.lease.advertiseUrl);
            return node;
        } catch (IOException | RuntimeException e) {
            if (api != null) {
                api.close();
            }
            if (mount != null) {
                mount.close();
            }
            store.close();
            throw e;
        }
    }

    private static ReplicationClient replicaClient(Config config, Store store, Path mountDir, Path scratch) {
        return new ReplicationClient(store, config.lease.advertiseUrl, config.http.secret, selfName(config), null,
                database -> new ReplicaApplier(mountDir, database.name(), database.files().database()), scratch);
    }

    /** A replica's view of the cluster, through its replication client once that runs. */
    private record ReplicaView(AtomicReference<ReplicationClient> link) implements ClusterView {
        @Override
        public boolean isPrimary() {
            return false;
        }

        @Override
        public String primaryHostname() {
            ReplicationClient client = link.get();
            return client == null ? null : client.primaryHostname();
        }

        @Override
        public long lagMillis() {
            ReplicationClient client = link.get();
            return client == null ? -1 : client.lagMillis();
        }
    }

    private NodeApi routes() {
        return api
                .route("GET", "/status", (req, res, cb) -> NodeApi.json(res, cb, JSON.writeValueAsString(status())))
                .route("GET", "/export", (req, res, cb) -> {
                    Path copy = transfer.export(name(req));
                    try {
                        res.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/vnd.sqlite3");
                        res.getHeaders().put(HttpHeader.CONTENT_LENGTH, Files.size(copy));
                        try (OutputStream out = Content.Sink.asOutputStream(res)) {
                            Files.copy(copy, out);
                        }
                        cb.succeeded();
                    } finally {
                        Files.deleteIfExists(copy);
                    }
                })
                .route("POST", "/import", (req, res, cb) -> {
                    if (server == null) {
                        throw new ApiException(HttpStatus.CONFLICT_409, "this node is a replica: import on the primary");
                    }
                    String name = name(req);
                    try (InputStream body = Content.Source.asInputStream(req)) {
                        transfer.importFrom(name, body);
                    }
                    Database database = store.get(name);
                    NodeApi.text(res, cb, HttpStatus.OK_200, "imported " + name + " at " + database.position() + "\n");
                });
    }

    private static String name(Request request) throws ApiException {
        String name = Request.extractQueryParameters(request).getValue("name");
        if (name == null) {
            throw new ApiException(HttpStatus.BAD_REQUEST_400, "a database name is required (?name=DB)");
        }
        return name;
    }

    NodeStatus status() {
        List<NodeStatus.DatabaseStatus> databases = store.databases().stream().map(db -> {
            var position = db.position();
            return new NodeStatus.DatabaseStatus(db.name(), position.txid(), "%016x".formatted(position.checksum()),
                    db.pageSize(), db.log().firstTxid(), db.log().lastTxid());
        }).toList();
        return new NodeStatus(selfName(config), server != null ? "primary" : "replica", config.lease.advertiseUrl,
                databases, server != null ? server.peers() : List.of(),
                client != null ? client.primaryHostname() : null, client != null ? client.lagMillis() : 0);
    }

    /**
     * This node's name in status tables: the primary's {@code lease.hostname} on the primary (what
     * replicas show in {@code .primary}), else the machine's hostname and the API port (several
     * nodes may share a machine).
     */
    private static String selfName(Config config) {
        if (config.lease.candidate && config.lease.hostname != null) {
            return config.lease.hostname;
        }
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "localhost";
        }
        return host + config.http.addr.substring(config.http.addr.lastIndexOf(':'));
    }

    int apiPort() {
        return api.port();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
        retention.close();
        api.close();
        mount.close();
        try {
            store.close();
        } catch (IOException e) {
            LOG.error("closing the data directory failed: {}", e.getMessage());
        }
    }
}
