package dev.litecluster.cli;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.litecluster.cluster.ApiException;
import dev.litecluster.cluster.NodeApi;
import dev.litecluster.cluster.PeerStatus;
import dev.litecluster.cluster.ReplicationClient;
import dev.litecluster.cluster.ReplicationServer;
import dev.litecluster.cluster.lease.Grant;
import dev.litecluster.cluster.lease.PrimaryInfo;
import dev.litecluster.fs.WriteFreeze;
import dev.litecluster.ltx.Position;
import dev.litecluster.store.Store;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Moves the primary role to a caught-up candidate replica without losing an acknowledged
 * transaction or breaking one halfway (DESIGN.md decision 11). On the primary, {@code POST
 * /handoff[?to=NODE]}: ask the target to catch up with what was committed so far (writes go on),
 * then freeze writes ({@link WriteFreeze}: running transactions finish, new ones get
 * SQLITE_BUSY), move the lease to the target and stop being primary, send it the frozen
 * positions and the new grant ({@code POST /handoff/ready}: it takes the role once it has applied
 * exactly those positions, streamed meanwhile), and unfreeze. The pause writers see is the freeze:
 * moving the lease (one transaction on etcd; Consul's release and take are several requests) and
 * one round trip. A target that answers it will not take the role gives the lease back.
 */
final class Handoff {
    private static final Logger LOG = LoggerFactory.getLogger(Handoff.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A write transaction still running after this aborts the handoff (nothing has changed yet). */
    private static final Duration FREEZE_TIMEOUT = Duration.ofSeconds(2);
    /** How long the target may take to have everything, before and during the freeze. */
    private static final Duration CATCH_UP_TIMEOUT = Duration.ofSeconds(5);
    /**
     * How much longer than the target's own wait the primary waits for its answer: a refusal that
     * arrives after the primary gave up is taken for a lost target, and the lease is not taken back.
     */
    private static final Duration ANSWER_MARGIN = Duration.ofSeconds(3);

    /**
     * What the primary sends a handoff's target: its cluster and positions ({@code %016x/%016x} per
     * database); and, once its writes are frozen, the lease it moved to the target ({@code lease}
     * null before). Flat fields: a nested type's first serialization in a process costs milliseconds.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record Ready(String clusterId, Map<String, String> positions, String lease, long epoch, long ttlMillis) {
        static Ready before(String clusterId, Map<String, String> positions) {
            return new Ready(clusterId, positions, null, 0, 0);
        }

        static Ready handedOver(String clusterId, Map<String, String> positions, Grant grant) {
            return new Ready(clusterId, positions, grant.id(), grant.epoch(), grant.ttl().toMillis());
        }

        boolean frozen() {
            return lease != null;
        }

        Grant grant() {
            return new Grant(lease, epoch, Duration.ofMillis(ttlMillis));
        }
    }

    private final Store store;
    private final Path mountDir;
    private final RoleManager roles;
    private final String secret;
    /**
     * On a target: when it answered the first (unfrozen) ready of a handoff. The lease handed over is
     * granted after that answer, so its TTL cannot have started earlier.
     */
    private volatile long readyAt;

    Handoff(Store store, Path mountDir, RoleManager roles, String secret) {
        this.store = store;
        this.mountDir = mountDir;
        this.roles = roles;
        this.secret = secret;
    }

    Handoff register(NodeApi api) {
        api.route("POST", "/handoff", (req, res, cb) -> NodeApi.text(res, cb, HttpStatus.OK_200,
                        handOff(Request.extractQueryParameters(req).getValue("to")) + "\n"))
                .route("POST", "/handoff/ready", (req, res, cb) -> NodeApi.json(res, cb,
                        JSON.writeValueAsString(ready(read(req, Ready.class)))));
        return this;
    }

    private static <T> T read(Request request, Class<T> type) throws IOException {
        try (InputStream body = Content.Source.asInputStream(request)) {
            return JSON.readValue(body, type);
        }
    }

    /**
     * Hands the primary role to the connected candidate called {@code to}, or to the most caught-up
     * one when {@code to} is null. Returns a one-line report. One handoff at a time.
     */
    synchronized String handOff(String to) throws IOException, ApiException {
        ReplicationServer server = roles.server();
        if (server == null) {
            throw new ApiException(HttpStatus.CONFLICT_409, "this node is not the primary");
        }
        PeerStatus target = choose(server.peers(), to);
        try (NodeClient client = new NodeClient(target.url(), secret)) {
            // Writes go on while the target catches up with most of it and this node prepares the lease.
            PrimaryInfo next = ready(client, Ready.before(store.identity().clusterId(), positions()));
            try {
                roles.prepareHandOff(next);
            } catch (IOException e) {
                LOG.warn("handoff: could not prepare the lease ahead ({}); it is done during the pause", e.getMessage());
            }
            long freezing = System.nanoTime();
            try (WriteFreeze ignored = WriteFreeze.of(mountDir, store.databases(), FREEZE_TIMEOUT)) {
                long frozen = System.nanoTime();
                // Nothing changes any more: the lease can move now, while the target applies the last
                // transactions; it takes the role once it has exactly these positions.
                Map<String, String> positions = positions();
                Grant moved = roles.handOff(next);
                long leaseMoved = System.nanoTime();
                try {
                    ready(client, Ready.handedOver(store.identity().clusterId(), positions, moved));
                } catch (NodeClient.Refused e) {
                    takeBack(target, moved, e);
                } catch (IOException e) {
                    LOG.error("handoff: the lease moved to {} but it did not take it ({}): it expires within {} s,"
                            + " then the candidates elect a primary", target.node(), e.getMessage(), moved.ttl().toSeconds());
                    throw new IOException("the lease moved to " + target.node() + " but it did not take it: " + e.getMessage());
                } finally {
                    roles.endStreams();
                }
                long done = System.nanoTime();
                String report = ("handed off to %s (epoch %d); writes paused %d ms (running transactions finished %d ms,"
                        + " lease moved %d ms, target caught up and took it %d ms)").formatted(target.node(), moved.epoch(),
                        millis(done - freezing), millis(frozen - freezing), millis(leaseMoved - frozen), millis(done - leaseMoved));
                LOG.info(report);
                return report;
            }
        }
    }

    /** The target answered that it did not take the role: the lease comes back, and writes go on here. */
    private void takeBack(PeerStatus target, Grant moved, NodeClient.Refused refusal) throws IOException, ApiException {
        try {
            roles.takeBack(moved);
        } catch (IOException e) {
            LOG.error("handoff: {} refused the role ({}) and the lease could not be taken back ({}): it expires within {} s,"
                    + " then the candidates elect a primary", target.node(), refusal.getMessage(), e.getMessage(), moved.ttl().toSeconds());
            throw new IOException(target.node() + " refused the role (" + refusal.getMessage()
                    + ") and the lease could not be taken back: " + e.getMessage());
        }
        throw new ApiException(HttpStatus.CONFLICT_409, target.node() + " refused the role, this node keeps it: "
                + refusal.answer());
    }

    /** Sends {@code ready} to the target; its lease description once it has the positions (and, when handed over, took the role). */
    private static PrimaryInfo ready(NodeClient client, Ready ready) throws IOException {
        return JSON.readValue(client.post("/handoff/ready", JSON.writeValueAsBytes(ready),
                CATCH_UP_TIMEOUT.plus(ANSWER_MARGIN)), PrimaryInfo.class);
    }

    private static long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    /** The connected candidate called {@code to}, or the one that has acknowledged the most. */
    private static PeerStatus choose(List<PeerStatus> peers, String to) throws ApiException {
        List<PeerStatus> candidates = peers.stream().filter(p -> p.connected() && p.candidate() && p.url() != null).toList();
        if (to == null) {
            return candidates.stream().max(Comparator.comparingLong(Handoff::acknowledged)).orElseThrow(() ->
                    new ApiException(HttpStatus.CONFLICT_409, "no connected candidate replica to hand off to"));
        }
        return candidates.stream().filter(p -> p.node().equals(to)).findFirst().orElseThrow(() ->
                new ApiException(HttpStatus.NOT_FOUND_404, "no connected candidate replica called " + to
                        + " (connected candidates: " + candidates.stream().map(PeerStatus::node).toList() + ")"));
    }

    private static long acknowledged(PeerStatus peer) {
        return peer.positions().values().stream().mapToLong(p -> Position.parse(p).txid()).sum();
    }

    /**
     * On the target: answers (with this node's lease description) once this replica has applied the
     * primary's positions — exactly them when the primary is frozen, at least them otherwise (and then
     * remembers when, to count the lease it may be handed from then); refuses when it cannot take the role.
     */
    private PrimaryInfo ready(Ready ready) throws ApiException, InterruptedException, IOException {
        if (!roles.candidate()) {
            throw new ApiException(HttpStatus.CONFLICT_409, "this node is not a candidate (lease.candidate is false)");
        }
        ReplicationClient client = roles.client();
        if (client == null || client.primaryHostname() == null) {
            throw new ApiException(HttpStatus.CONFLICT_409, "this node is not connected to the primary");
        }
        if (ready.clusterId() != null && !ready.clusterId().equals(store.identity().clusterId())) {
            throw new ApiException(HttpStatus.CONFLICT_409, "this node belongs to cluster " + store.identity().clusterId()
                    + ", not " + ready.clusterId());
        }
        long deadline = System.nanoTime() + CATCH_UP_TIMEOUT.toNanos();
        while (!reached(ready.positions(), ready.frozen())) {
            if (System.nanoTime() > deadline) {
                throw new ApiException(HttpStatus.CONFLICT_409, "not caught up within " + CATCH_UP_TIMEOUT.toSeconds()
                        + " s: this node has " + positions() + ", the primary " + ready.positions());
            }
            Thread.sleep(1);
        }
        if (ready.frozen()) {
            // The grant was made after this node answered the first ready: its validity counts from then.
            long counted = readyAt;
            if (counted == 0) {
                throw new IOException("a lease was handed over without a ready check first");
            }
            readyAt = 0;
            roles.adopt(ready.grant(), counted);
        } else {
            readyAt = System.nanoTime(); // before the primary prepares (may grant) the lease it hands over
            roles.prepareAdopt();
        }
        return roles.self();
    }

    /** Whether this node has the primary's {@code positions}: exactly, or at least (by TXID) when not {@code exact}. */
    private boolean reached(Map<String, String> positions, boolean exact) {
        Map<String, String> ours = positions();
        if (exact) {
            return ours.equals(positions);
        }
        return positions.entrySet().stream().allMatch(e -> ours.containsKey(e.getKey())
                && Position.parse(ours.get(e.getKey())).txid() >= Position.parse(e.getValue()).txid());
    }

    /**
     * {@code lease.promote}: once this candidate is connected to a primary, asks it to hand the role
     * over (rolling deploys: the new machine takes over when it is ready). Retries every second
     * until it is primary or {@code stop} is interrupted; logs each distinct failure once.
     */
    Thread promoteWhenConnected(String self) {
        Thread thread = new Thread(() -> {
            String lastProblem = null;
            try {
                while (!roles.isPrimary()) {
                    Thread.sleep(200);
                    ReplicationClient client = roles.client();
                    PrimaryInfo primary = roles.followed();
                    if (client == null || primary == null || client.primaryHostname() == null) {
                        continue;
                    }
                    try (NodeClient node = new NodeClient(primary.advertiseUrl(), secret)) {
                        String done = node.post("/handoff?to=" + URLEncoder.encode(self, StandardCharsets.UTF_8),
                                new byte[0], FREEZE_TIMEOUT.plus(CATCH_UP_TIMEOUT.multipliedBy(3))).strip();
                        LOG.info("promote: {}", done);
                        return;
                    } catch (IOException e) {
                        if (!e.getMessage().equals(lastProblem)) {
                            LOG.warn("promote: {} refused the handoff: {}", primary.hostname(), e.getMessage());
                            lastProblem = e.getMessage();
                        }
                        Thread.sleep(1_000);
                    }
                }
            } catch (InterruptedException e) {
                // shutting down
            }
        }, "promote");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    /** The position of every database that has a transaction (empty ones are not replicated). */
    private Map<String, String> positions() {
        Map<String, String> positions = new TreeMap<>();
        store.positions().forEach((name, position) -> {
            if (position.txid() > 0) {
                positions.put(name, position.toString());
            }
        });
        return positions;
    }
}
