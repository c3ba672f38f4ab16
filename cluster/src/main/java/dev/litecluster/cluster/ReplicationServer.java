package dev.litecluster.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.litecluster.ltx.Position;
import dev.litecluster.store.Database;
import dev.litecluster.store.Store;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

/**
 * The primary's side of replication (DESIGN.md §5): {@code POST /stream} sends each replica the log
 * records after its position, or a snapshot when it is empty, ahead, diverged or behind what the
 * log still holds; then every new record as it commits, and a heartbeat when idle.
 * {@code POST /ack} records what each replica has applied.
 */
public final class ReplicationServer {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicationServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final long HEARTBEAT_MILLIS = 500;
    /**
     * After a stream sent records it rests this long before it looks again: an isolated commit goes
     * out at once, while commits faster than this share one write (per commit and replica a wakeup,
     * a socket write and, on loopback, the receiver's TCP work all ran on the primary's CPU).
     */
    private static final long COALESCE_NANOS = 1_000_000;
    public static final String HOSTNAME_HEADER = "Litecluster-Primary";
    /** The lease epoch the primary serves under; replicas refuse a stream from an older epoch than they have seen. */
    public static final String EPOCH_HEADER = "Litecluster-Epoch";
    /** The primary's cluster id: a replica without one joins it, one with another is refused. */
    public static final String CLUSTER_HEADER = "Litecluster-Cluster";

    private final Store store;
    private final Snapshots snapshots;
    private final Path scratch;
    private final String hostname;
    private final Map<String, Peer> peers = new ConcurrentHashMap<>();
    /** Nodes of another cluster already logged as refused. */
    private final java.util.Set<String> refused = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;
    private volatile long epoch;

    private static final class Peer {
        volatile String url;
        volatile boolean candidate;
        volatile Map<String, String> positions = Map.of();
        volatile long lastSeen = System.currentTimeMillis();
        volatile int streams;
    }

    public ReplicationServer(Store store, Snapshots snapshots, Path scratch, String hostname) {
        this.store = store;
        this.snapshots = snapshots;
        this.scratch = scratch;
        this.hostname = hostname;
    }

    /** Sets the lease epoch sent with every stream (0, the default, sends none). */
    public ReplicationServer epoch(long epoch) {
        this.epoch = epoch;
        return this;
    }

    /** Every replica heard from, with what it has acknowledged. */
    public List<PeerStatus> peers() {
        long now = System.currentTimeMillis();
        return peers.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .map(e -> new PeerStatus(e.getKey(), e.getValue().url, e.getValue().candidate, e.getValue().streams > 0,
                        now - e.getValue().lastSeen, e.getValue().positions))
                .toList();
    }

    /**
     * The oldest TXID any replica still needs of {@code database} (retention keeps it). A replica
     * disconnected for longer than {@code forgetAfterMillis} no longer holds the log back: it gets a
     * snapshot when it returns, and a replica gone for good cannot make the log grow without bound.
     */
    public long neededFrom(Database database, long forgetAfterMillis) {
        long needed = Long.MAX_VALUE;
        long now = System.currentTimeMillis();
        for (Peer peer : peers.values()) {
            if (peer.streams == 0 && now - peer.lastSeen > forgetAfterMillis) {
                continue;
            }
            String position = peer.positions.get(database.name());
            needed = Math.min(needed, position == null ? 0 : Position.parse(position).txid() + 1);
        }
        return needed;
    }

    private Peer peer(ReplicaHello hello) {
        Peer peer = peers.computeIfAbsent(hello.node(), n -> new Peer());
        peer.url = hello.url();
        peer.candidate = hello.candidate();
        peer.positions = hello.positions() == null ? Map.of() : Map.copyOf(hello.positions());
        peer.lastSeen = System.currentTimeMillis();
        return peer;
    }

    /**
     * This primary's cluster id (made now if it is the first primary); a replica that belongs to
     * another cluster is refused (409; logged once per node here, and once on the replica).
     */
    private String admit(ReplicaHello hello) throws IOException, ApiException {
        String cluster = store.identity().clusterIdOrCreate();
        if (hello.clusterId() != null && !hello.clusterId().equals(cluster)) {
            if (refused.add(hello.node())) {
                LOG.warn("refused replica {}: it belongs to cluster {}, this primary to cluster {}", hello.node(),
                        hello.clusterId(), cluster);
            }
            throw new ApiException(HttpStatus.CONFLICT_409, "node " + hello.node() + " belongs to cluster "
                    + hello.clusterId() + ", this primary to cluster " + cluster + " (wrong advertise-url or data dir?)");
        }
        return cluster;
    }

    /** At most this many checksums per {@code /checksums} answer. */
    static final int MAX_CHECKSUMS = 100_000;

    /**
     * {@code GET /checksums?name=DB&from=A&to=B}: the database checksum after each TXID in [A, B]
     * that the log holds ({@code {"12": "%016x", ...}}), for a diverged replica to find the newest
     * point its history shares with this primary's before a snapshot replaces it.
     */
    public void checksums(Request request, Response response, Callback callback) throws IOException, ApiException {
        var query = Request.extractQueryParameters(request);
        Database database = store.get(String.valueOf(query.getValue("name")));
        if (database == null) {
            throw new ApiException(HttpStatus.NOT_FOUND_404, "no database " + query.getValue("name"));
        }
        long from;
        long to;
        try {
            from = Long.parseLong(query.getValue("from"));
            to = Math.min(Long.parseLong(query.getValue("to")), from + MAX_CHECKSUMS - 1);
        } catch (NumberFormatException e) {
            throw new ApiException(HttpStatus.BAD_REQUEST_400, "from and to must be TXIDs");
        }
        Map<String, String> checksums = new java.util.TreeMap<>();
        for (long txid = Math.max(1, from); txid <= to; txid++) {
            Long checksum = database.checksumAt(txid);
            if (checksum != null) {
                checksums.put(Long.toString(txid), "%016x".formatted(checksum));
            }
        }
        NodeApi.json(response, callback, JSON.writeValueAsString(checksums));
    }

    /** {@code POST /ack}: a replica reports what it has applied. */
    public void ack(Request request, Response response, Callback callback) throws IOException, ApiException {
        try (InputStream body = Content.Source.asInputStream(request)) {
            ReplicaHello hello = JSON.readValue(body, ReplicaHello.class);
            admit(hello);
            peer(hello);
        }
        NodeApi.text(response, callback, HttpStatus.OK_200, "ok\n");
    }

    /** {@code POST /stream}: sends the replica what it lacks, then every new record, until it or this server closes. */
    public void stream(Request request, Response response, Callback callback) throws Exception {
        ReplicaHello hello;
        try (InputStream body = Content.Source.asInputStream(request)) {
            hello = JSON.readValue(body, ReplicaHello.class);
        }
        String cluster = admit(hello);
        Peer peer = peer(hello);
        peer.streams++;
        LOG.info("replica {} connected", hello.node());
        response.setStatus(HttpStatus.OK_200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/octet-stream");
        response.getHeaders().put(HOSTNAME_HEADER, hostname);
        response.getHeaders().put(CLUSTER_HEADER, cluster);
        if (epoch != 0) {
            response.getHeaders().put(EPOCH_HEADER, Long.toString(epoch));
        }
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Content.Sink.asOutputStream(response), 1 << 16))) {
            new Stream(hello, out).run();
            callback.succeeded();
        } catch (IOException e) {
            LOG.info("replica {} disconnected: {}", hello.node(), e.getMessage());
            callback.failed(e);
        } finally {
            peer.streams--;
            peer.lastSeen = System.currentTimeMillis();
        }
    }

    /** One replica's stream: what it has of each database, and what to send next. */
    private final class Stream {
        private final ReplicaHello hello;
        private final DataOutputStream out;
        /** Per database: the TXID the replica has (after what was sent). */
        private final Map<String, Long> sent = new HashMap<>();

        Stream(ReplicaHello hello, DataOutputStream out) {
            this.hello = hello;
            this.out = out;
        }

        void run() throws IOException, InterruptedException {
            long lastWrite = System.currentTimeMillis();
            long seen = -1;
            while (!closed) {
                seen = store.changeCount();
                boolean wrote = false;
                for (Database database : store.databases()) {
                    wrote |= catchUp(database);
                }
                if (wrote) {
                    out.flush();
                    lastWrite = System.currentTimeMillis();
                    LockSupport.parkNanos(COALESCE_NANOS);
                } else if (System.currentTimeMillis() - lastWrite >= HEARTBEAT_MILLIS) {
                    StreamFrame.HEARTBEAT.writeHeader(out);
                    out.flush();
                    lastWrite = System.currentTimeMillis();
                }
                store.awaitChange(seen, HEARTBEAT_MILLIS);
            }
        }

        /** Sends what the replica lacks of one database; returns whether anything was written. */
        private boolean catchUp(Database database) throws IOException {
            Position current = database.position();
            if (current.txid() == 0) {
                return false;
            }
            Long has = sent.get(database.name());
            if (has == null) {
                has = startingPoint(database, current);
            }
            boolean wrote = false;
            while (has != null && has < current.txid()) {
                if (!database.log().contains(has + 1)) {
                    has = null; // retention passed the replica: snapshot
                    break;
                }
                new StreamFrame(StreamFrame.Type.RECORD, database.name(), database.log().length(has + 1)).writeHeader(out);
                try (InputStream record = database.log().read(has + 1)) {
                    record.transferTo(out);
                }
                has++;
                wrote = true;
            }
            if (has == null) {
                has = sendSnapshot(database);
                wrote = true;
            }
            sent.put(database.name(), has);
            return wrote;
        }

        /** Where the replica's copy stands: its TXID if it is a prefix of ours, else null (snapshot). */
        private Long startingPoint(Database database, Position current) throws IOException {
            String position = hello.positions() == null ? null : hello.positions().get(database.name());
            Position replica = position == null ? Position.ZERO : Position.parse(position);
            if (replica.txid() == 0) {
                return null; // empty: one snapshot is smaller than replaying the whole history
            }
            if (replica.txid() > current.txid()) {
                LOG.info("replica {} is ahead on {} ({} > {}): sending a snapshot", hello.node(), database.name(),
                        replica.txid(), current.txid());
                return null;
            }
            Long ours = database.checksumAt(replica.txid());
            if (ours == null) {
                LOG.info("replica {} is at {} of {}, before what the log holds: sending a snapshot", hello.node(),
                        replica.txid(), database.name());
                return null;
            }
            if (ours != replica.checksum()) {
                LOG.warn("replica {} diverged on {} at txid {}: sending a snapshot", hello.node(), database.name(), replica.txid());
                return null;
            }
            return replica.txid();
        }

        private long sendSnapshot(Database database) throws IOException {
            Path file = Files.createTempFile(scratch, "snapshot-", ".ltx");
            try {
                Position position = snapshots.write(database, file);
                long size = Files.size(file);
                new StreamFrame(StreamFrame.Type.SNAPSHOT, database.name(), size).writeHeader(out);
                Files.copy(file, (OutputStream) out);
                LOG.info("sent a snapshot of {} at txid {} ({} bytes) to {}", database.name(), position.txid(), size, hello.node());
                return position.txid();
            } finally {
                Files.deleteIfExists(file);
            }
        }
    }

    public void close() {
        closed = true;
    }
}
