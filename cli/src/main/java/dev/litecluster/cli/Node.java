package dev.litecluster.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.litecluster.cli.config.Config;
import dev.litecluster.cli.config.ConfigException;
import dev.litecluster.cli.config.GoDuration;
import dev.litecluster.cluster.ApiException;
import dev.litecluster.cluster.DatabaseTransfer;
import dev.litecluster.cluster.Member;
import dev.litecluster.cluster.NodeApi;
import dev.litecluster.cluster.NodeStatus;
import dev.litecluster.cluster.ReplicationClient;
import dev.litecluster.cluster.ReplicationServer;
import dev.litecluster.cluster.lease.PrimaryInfo;
import dev.litecluster.fs.LiteclusterFileSystem;
import dev.litecluster.fs.MountPageCache;
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
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

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
    private final RoleManager roles;
    private final Handoff handoff;
    private Thread promoter;
    private boolean closed;

    private Node(Config config, Store store, FuseMount mount, NodeApi api, DatabaseTransfer transfer,
                 Retention retention, RoleManager roles, Handoff handoff) {
        this.config = config;
        this.store = store;
        this.mount = mount;
        this.api = api;
        this.transfer = transfer;
        this.retention = retention;
        this.roles = roles;
        this.handoff = handoff;
    }

    /**
     * Opens the store, mounts it, starts the API, and takes the role the lease gives (see
     * {@link RoleManager}): on a static lease the candidate is the primary and every other node a
     * replica of {@code lease.advertise-url}; on etcd or Consul the role moves with the lease.
     * Undoes what was done when a step fails.
     */
    private static void awaitPrimary(RoleManager roles) throws IOException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!roles.isPrimary()) {
            if (System.nanoTime() > deadline) {
                throw new IOException("the static lease did not make this node primary within 10 s");
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while taking the static lease");
            }
        }
    }

    static Node start(Config config) throws IOException, ConfigException {
        Duration keep = GoDuration.parse("data.retention", config.data.retention);
        Duration interval = GoDuration.parse("data.retention-monitor-interval", config.data.retentionMonitorInterval);
        Path mountDir = Path.of(config.fuse.dir);
        try {
            Files.createDirectories(mountDir);
        } catch (FileAlreadyExistsException e) {
            // Also what a stale mount left by a crashed node looks like (its stat fails): FuseMount clears
            // such a mount, and says clearly what is wrong with any other kind of mount point.
        }
        Duration segmentAge = GoDuration.parse("data.segment-age", config.data.segmentAge);
        Store store = Store.open(Path.of(config.data.dir), segmentAge);
        FuseMount mount = null;
        NodeApi api = null;
        RoleManager roles = null;
        try {
            Path scratch = Files.createDirectories(store.dir().resolve("tmp"));
            PrimaryInfo self = self(config);
            String name = selfName(config);
            MountPageCache pageCache = new MountPageCache();
            roles = new RoleManager(LeaseFactory.open(config, self), config.lease.candidate, self,
                    epoch -> new ReplicationServer(store, new SnapshotWriter(mountDir)::write, scratch, self.hostname()).epoch(epoch),
                    primary -> new ReplicationClient(store, primary.advertiseUrl(), config.http.secret,
                            new Member(name, self.advertiseUrl(), config.lease.candidate),
                            database -> new ReplicaApplier(mountDir, database.files(), pageCache), scratch),
                    config.lease.type.equals("static") ? Duration.ZERO // one fixed primary: nothing to race for
                            : GoDuration.parse("lease.catch-up-wait", config.lease.catchUpWait),
                    new Members(store.dir().resolve("members.json"), self.advertiseUrl(), config.http.secret),
                    () -> txids(store));
            LiteclusterFileSystem fs = new LiteclusterFileSystem(store, roles.view());
            mount = FuseMount.mount(mountDir, fs);
            pageCache.attach(fs, mount.notifier());
            api = new NodeApi(config.http.addr, config.http.secret);
            roles.register(api);
            RoleManager role = roles;
            Retention retention = new Retention(store, keep, db -> role.neededFrom(db, keep.toMillis())).start(interval);
            Handoff handoff = new Handoff(store, mountDir, roles, config.http.secret).register(api);
            Node node = new Node(config, store, mount, api, new DatabaseTransfer(mountDir, scratch), retention, roles, handoff);
            node.routes().start();
            roles.start();
            if (config.lease.promote) {
                node.promoter = handoff.promoteWhenConnected(name);
            }
            if (config.lease.type.equals("static") && config.lease.candidate) {
                awaitPrimary(roles); // the one fixed primary takes writes as soon as start returns
            }
            LOG.info("mounted {} (data {}) on a {} lease, {}", mountDir, config.data.dir, config.lease.type,
                    roles.isPrimary() ? "primary" : config.lease.type.equals("static")
                            ? "replica of " + config.lease.advertiseUrl : "watching the lease");
            return node;
        } catch (IOException | ConfigException | RuntimeException e) {
            if (roles != null) {
                roles.close();
            }
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

    /**
     * This node as the primary it would be: {@code lease.hostname} (default: the machine's) and
     * {@code lease.advertise-url} (default {@code http://<hostname>:<port>}). On a static lease only
     * the candidate's is used.
     */
    private static PrimaryInfo self(Config config) {
        String hostname = config.lease.hostname != null ? config.lease.hostname : selfName(config);
        String url = config.lease.advertiseUrl != null && (config.lease.candidate || !config.lease.type.equals("static"))
                ? config.lease.advertiseUrl
                : "http://" + machineName() + config.http.addr.substring(config.http.addr.lastIndexOf(':'));
        return new PrimaryInfo(hostname, url, 0);
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
                    if (roles.server() == null) {
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

    private static Map<String, Long> txids(Store store) {
        Map<String, Long> txids = new java.util.TreeMap<>();
        store.positions().forEach((name, position) -> txids.put(name, position.txid()));
        return txids;
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
        ReplicationServer server = roles.server();
        ReplicationClient client = roles.client();
        return new NodeStatus(selfName(config), server != null ? "primary" : "replica", config.lease.candidate,
                config.lease.advertiseUrl,
                store.identity().clusterId(),
                databases, server != null ? server.peers() : List.of(),
                client != null ? client.primaryHostname() : null, client != null ? client.lagMillis() : 0);
    }

    /**
     * This node's name in status tables: the primary's {@code lease.hostname} on the primary (what
     * replicas show in {@code .primary}), else the machine's hostname and the API port (several
     * nodes may share a machine).
     */
    private static String selfName(Config config) {
        if ((config.lease.candidate || !config.lease.type.equals("static")) && config.lease.hostname != null) {
            return config.lease.hostname;
        }
        return machineName() + config.http.addr.substring(config.http.addr.lastIndexOf(':'));
    }

    private static String machineName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }

    /** A primary going down hands the role to a caught-up candidate if there is one; else the lease is released. */
    private void handOffBeforeExit() {
        try {
            LOG.info("shutting down: {}", handoff.handOff(null));
        } catch (ApiException | IOException e) {
            LOG.info("shutting down without a handoff ({}): releasing the lease", e.getMessage());
        }
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
        if (promoter != null) {
            promoter.interrupt();
        }
        if (roles.isPrimary() && !config.lease.type.equals("static")) {
            handOffBeforeExit();
        }
        roles.close();
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
