package dev.litecluster.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.litecluster.cli.config.Config;
import dev.litecluster.cli.config.ConfigException;
import dev.litecluster.cli.config.GoDuration;
import dev.litecluster.cluster.ApiException;
import dev.litecluster.cluster.DatabaseTransfer;
import dev.litecluster.cluster.NodeApi;
import dev.litecluster.cluster.NodeStatus;
import dev.litecluster.fs.ClusterView;
import dev.litecluster.fs.LiteclusterFileSystem;
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
    private boolean closed;

    private Node(Config config, Store store, FuseMount mount, NodeApi api, DatabaseTransfer transfer, Retention retention) {
        this.config = config;
        this.store = store;
        this.mount = mount;
        this.api = api;
        this.transfer = transfer;
        this.retention = retention;
    }

    /** Opens the store, mounts it, and starts the API; undoes what was done when a step fails. */
    static Node start(Config config) throws IOException, ConfigException {
        Duration keep = GoDuration.parse("data.retention", config.data.retention);
        Duration interval = GoDuration.parse("data.retention-monitor-interval", config.data.retentionMonitorInterval);
        Path mountDir = Path.of(config.fuse.dir);
        Files.createDirectories(mountDir);
        Store store = Store.open(Path.of(config.data.dir));
        FuseMount mount = null;
        try {
            mount = FuseMount.mount(mountDir, new LiteclusterFileSystem(store, ClusterView.PRIMARY));
            Path scratch = Files.createDirectories(store.dir().resolve("tmp"));
            // No replica or backup holds log records yet: time alone decides what is kept.
            Retention retention = new Retention(store, keep, database -> Long.MAX_VALUE).start(interval);
            Node node = new Node(config, store, mount, new NodeApi(config.http.addr, config.http.secret),
                    new DatabaseTransfer(mountDir, scratch), retention);
            node.routes().start();
            LOG.info("mounted {} (data {}), primary on a static lease", mountDir, config.data.dir);
            return node;
        } catch (IOException | RuntimeException e) {
            if (mount != null) {
                mount.close();
            }
            store.close();
            throw e;
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
        return new NodeStatus(hostname(), "primary", config.lease.advertiseUrl, databases);
    }

    private String hostname() {
        if (config.lease.hostname != null) {
            return config.lease.hostname;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
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
