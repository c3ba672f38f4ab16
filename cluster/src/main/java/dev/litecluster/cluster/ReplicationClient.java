package dev.litecluster.cluster;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.litecluster.ltx.LtxException;
import dev.litecluster.ltx.Position;
import dev.litecluster.store.Database;
import dev.litecluster.store.DivergenceException;
import dev.litecluster.store.LostTransactions;
import dev.litecluster.store.ReplicaWriter;
import dev.litecluster.store.Store;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.InputStreamResponseListener;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.http.HttpMethod;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A replica's side of replication: keeps a stream open to the primary, stages each record as it
 * arrives, and applies it only once it is complete and verified (DESIGN.md decisions 7 and 9). A
 * record that does not fit (diverged) makes it ask for a snapshot; a corrupt one makes it
 * reconnect and receive it again. Problems are logged once, as one line, until they change.
 */
public final class ReplicationClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicationClient.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** No byte from the primary for this long while waiting for one: the stream is dead. */
    private static final long IDLE_TIMEOUT_MILLIS = 5_000;

    private final Store store;
    private final String primaryUrl;
    private final String secret;
    private final Member self;
    private static final int MAX_BATCH = 256;
    private final Function<Database, ReplicaWriter> writerFactory;
    /** Concurrent: {@link #close()} walks it while an apply that outlived its wait may still add one. */
    private final Map<String, ReplicaWriter> writers = new ConcurrentHashMap<>();
    private final Path scratch;
    private final HttpClient http = new HttpClient();
    /** Read by acknowledgements from the receiving thread too. */
    private final Set<String> needSnapshot = ConcurrentHashMap.newKeySet();
    private final Thread thread;
    private volatile boolean closed;
    /** Notified on close: ends the wait between reconnection attempts. */
    private final Object reconnect = new Object();
    private volatile long lastContact;
    private volatile String primaryHostname;
    private volatile Request current;
    private volatile boolean applying;
    private volatile long minEpoch;
    private final ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "replication-watchdog");
        t.setDaemon(true);
        return t;
    });
    private String lastProblem;
    private long lastAck;

    public ReplicationClient(Store store, String primaryUrl, String secret, Member self,
                             Function<Database, ReplicaWriter> writers, Path scratch) {
        this.store = store;
        this.primaryUrl = primaryUrl.endsWith("/") ? primaryUrl.substring(0, primaryUrl.length() - 1) : primaryUrl;
        this.secret = secret;
        this.self = self;
        this.writerFactory = writers;
        this.scratch = scratch;
        this.thread = new Thread(this::run, "replication-client");
        this.thread.setDaemon(true);
    }

    public ReplicationClient start() throws IOException {
        try {
            // Silence is judged by the watchdog, which knows when we are busy applying rather than reading:
            // a long apply (a reader holding locks) must not look like a dead primary.
            http.setIdleTimeout(TimeUnit.HOURS.toMillis(1));
            http.start();
        } catch (Exception e) {
            throw new IOException("cannot start the replication client: " + e.getMessage(), e);
        }
        thread.start();
        watchdog.scheduleWithFixedDelay(this::abortIfSilent, 500, 500, TimeUnit.MILLISECONDS);
        return this;
    }

    /**
     * Refuses streams from a primary serving under a lease epoch older than {@code epoch} (a deposed
     * primary that has not noticed yet). Call before {@link #start()}.
     */
    public ReplicationClient requireEpoch(long epoch) {
        this.minEpoch = epoch;
        return this;
    }

    /** The primary's hostname while connected, else null. */
    public String primaryHostname() {
        return primaryHostname;
    }

    /** Milliseconds since the last record or heartbeat from the primary. */
    public long lagMillis() {
        return lastContact == 0 ? -1 : System.currentTimeMillis() - lastContact;
    }

    private void run() {
        long backoff = 100;
        while (!closed) {
            try {
                streamOnce();
                backoff = 100;
            } catch (Exception e) {
                if (closed) {
                    return;
                }
                boolean expected = e instanceof IOException || e instanceof java.util.concurrent.TimeoutException;
                problem(expected && e.getMessage() != null ? e.getMessage() : e.toString());
            }
            primaryHostname = null;
            pause(backoff);
            backoff = Math.min(2_000, backoff * 2);
        }
    }

    private void streamOnce() throws Exception {
        InputStreamResponseListener listener = new InputStreamResponseListener();
        Request request = request(HttpMethod.POST, "/stream", hello());
        lastContact = System.currentTimeMillis();
        current = request;
        request.send(listener);
        Response response = listener.get(IDLE_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        try (InputStream body = listener.getInputStream()) {
            if (response.getStatus() != 200) {
                String text = new String(body.readNBytes(300)).strip();
                throw new IOException("primary " + primaryUrl + " refused the stream: " + text + " (HTTP " + response.getStatus() + ")");
            }
            long epoch = response.getHeaders().getLongField(ReplicationServer.EPOCH_HEADER);
            if (minEpoch > 0 && epoch < minEpoch) {
                throw new IOException("primary " + primaryUrl + " serves lease epoch " + epoch
                        + ", older than epoch " + minEpoch + " of the current lease: refused");
            }
            joinCluster(response.getHeaders().get(ReplicationServer.CLUSTER_HEADER));
            primaryHostname = response.getHeaders().get(ReplicationServer.HOSTNAME_HEADER);
            connected();
            DataInputStream in = new DataInputStream(new BufferedInputStream(body, 1 << 16));
            FrameReceiver receiver = new FrameReceiver(in, scratch, this::frameArrived).start();
            try {
                for (List<FrameReceiver.Staged> batch = receiver.nextBatch(MAX_BATCH); !batch.isEmpty() && !closed;
                     batch = receiver.nextBatch(MAX_BATCH)) {
                    if (!apply(batch)) {
                        return; // reconnect: ask again from our position (or for a snapshot)
                    }
                }
            } finally {
                request.abort(new IOException("the replica closed the stream"));
                receiver.close();
            }
        }
    }

    /** Takes the primary's cluster id when this node has none yet; refuses a primary of another cluster. */
    private void joinCluster(String cluster) throws IOException {
        String ours = store.identity().clusterId();
        if (cluster == null || cluster.equals(ours)) {
            return;
        }
        if (ours != null) {
            throw new IOException("primary " + primaryUrl + " belongs to cluster " + cluster + ", this node to cluster "
                    + ours + ": refused");
        }
        store.identity().join(cluster);
        LOG.info("joined cluster {}", cluster);
    }

    /** On the receiving thread, as each frame's header arrives. */
    private void frameArrived(StreamFrame frame) {
        lastContact = System.currentTimeMillis();
        if (frame.type() == StreamFrame.Type.HEARTBEAT) {
            ackIfDue(false);
        }
    }

    private void abortIfSilent() {
        Request request = current;
        long silent = System.currentTimeMillis() - lastContact;
        if (request != null && !applying && silent > IDLE_TIMEOUT_MILLIS) {
            request.abort(new IOException("no data from the primary for " + silent + " ms"));
        }
    }

    /** Applies a batch of staged frames of one database, then deletes them; false when the stream must be reopened. */
    private boolean apply(List<FrameReceiver.Staged> batch) throws IOException {
        StreamFrame first = batch.getFirst().frame();
        String name = first.database();
        Database database = store.open(name);
        applying = true;
        try {
            if (first.type() == StreamFrame.Type.SNAPSHOT && database.position().txid() > 0) {
                keepLostTransactions(database);
            }
            database.applyReplicated(batch, writers.computeIfAbsent(name, n -> writerFactory.apply(database)));
            needSnapshot.remove(name);
            ackIfDue(true);
            return true;
        } catch (LtxException e) {
            problem("rejected a corrupt " + first.type().name().toLowerCase() + " of " + name
                    + " from the primary (" + e.getMessage() + "); asking again");
            return false;
        } catch (DivergenceException e) {
            problem("database " + name + " diverged from the primary (" + e.getMessage() + "); asking for a snapshot");
            needSnapshot.add(name);
            return false;
        } finally {
            applying = false;
            lastContact = System.currentTimeMillis();
            for (FrameReceiver.Staged staged : batch) {
                staged.delete();
            }
        }
    }

    /**
     * Before a snapshot replaces a database that has transactions, keeps those the primary's history
     * does not share in {@code <data>/lost/<db>/} (an old primary that committed after its last
     * replication and lost the lease). The newest TXID whose checksum the primary's log also has is
     * the common point; when the two logs do not overlap (this node was away longer than the
     * primary's retention), the transactions this node wrote itself are kept, as they may exist
     * nowhere else. A failure here stops the snapshot from being applied: nothing is dropped.
     */
    private void keepLostTransactions(Database database) throws IOException {
        long ours = database.position().txid();
        long from = Math.max(1, database.log().isEmpty() ? ours : database.log().firstTxid());
        from = Math.max(from, ours - ReplicationServer.MAX_CHECKSUMS + 1);
        Map<String, String> theirs = JSON.readValue(get("/checksums?name=" + URLEncoder.encode(database.name(),
                StandardCharsets.UTF_8) + "&from=" + from + "&to=" + ours), new TypeReference<Map<String, String>>() { });
        long keepFrom = -1;
        for (long txid = ours; txid >= from && keepFrom < 0; txid--) {
            String checksum = theirs.get(Long.toString(txid));
            Long local = database.checksumAt(txid);
            if (checksum != null && local != null && Long.parseUnsignedLong(checksum, 16) == local) {
                keepFrom = txid + 1;
            }
        }
        boolean overlap = keepFrom >= 0;
        if (!overlap) {
            keepFrom = LostTransactions.firstOwnTxid(database, store.identity().nodeId());
        }
        if (keepFrom > ours) {
            return;
        }
        Path file = LostTransactions.save(database, keepFrom, store.dir().resolve("lost"));
        if (file != null) {
            LOG.warn("database {}: transactions {}..{} {} were saved to {} before taking the primary's snapshot",
                    database.name(), keepFrom, ours, overlap ? "that the primary never had"
                            : "that this node wrote (its log and the primary's do not overlap)", file);
        }
    }

    /** {@code GET path} on the primary; the body, or an IOException with the primary's one-line answer. */
    private String get(String path) throws IOException {
        Request request = authorized(HttpMethod.GET, path).timeout(30, TimeUnit.SECONDS);
        try {
            var response = request.send();
            if (response.getStatus() != 200) {
                throw new IOException("primary " + primaryUrl + " answered " + path + " with HTTP " + response.getStatus()
                        + ": " + response.getContentAsString().strip());
            }
            return response.getContentAsString();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IOException("cannot reach the primary " + primaryUrl + ": " + e.getMessage(), e);
        }
    }

    private ReplicaHello hello() {
        Map<String, String> positions = new TreeMap<>();
        store.positions().forEach((name, position) ->
                positions.put(name, (needSnapshot.contains(name) ? Position.ZERO : position).toString()));
        return new ReplicaHello(self.node(), self.url(), self.candidate(), store.identity().clusterId(), positions);
    }

    /** Acknowledges what was applied: soon after an apply (at most every 50 ms), else every second. */
    private synchronized void ackIfDue(boolean applied) {
        long now = System.currentTimeMillis();
        if (now - lastAck < (applied ? 50 : 1_000)) {
            return;
        }
        lastAck = now;
        try {
            request(HttpMethod.POST, "/ack", hello()).send(result -> { });
        } catch (IOException e) {
            problem("cannot acknowledge to the primary: " + e.getMessage());
        }
    }

    private Request request(HttpMethod method, String path, ReplicaHello hello) throws IOException {
        return authorized(method, path).body(new BytesRequestContent("application/json", JSON.writeValueAsBytes(hello)));
    }

    /** A request to the primary carrying the cluster secret. */
    private Request authorized(HttpMethod method, String path) {
        return NodeApi.authorize(http.newRequest(primaryUrl + path).method(method), secret);
    }

    /** Logs the recovery from a problem logged before. */
    private synchronized void connected() {
        if (lastProblem != null) {
            LOG.info("connected to primary {} ({})", primaryHostname, primaryUrl);
            lastProblem = null;
        }
    }

    /** Logs a problem once (not again until a different problem or a recovery); the receiving thread reports some too. */
    private synchronized void problem(String message) {
        if (!message.equals(lastProblem)) {
            LOG.warn("replication: {}", message);
            lastProblem = message;
        }
    }

    /**
     * Waits before reconnecting; {@link #close()} ends the wait at once. (A plain sleep made close()
     * wait for it: a replica promoted after the primary died took the lease up to 2 s late, while its
     * client slept between reconnection attempts.)
     */
    private void pause(long millis) {
        try {
            synchronized (reconnect) {
                if (!closed) {
                    reconnect.wait(millis);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closed = true;
        synchronized (reconnect) {
            reconnect.notifyAll();
        }
        watchdog.shutdownNow();
        try {
            http.stop();
        } catch (Exception e) {
            LOG.debug("stopping the replication client: {}", e.getMessage());
        }
        // An apply waiting for SQLite's locks holds its database's lock; a node that becomes primary
        // meanwhile would need that lock for the apply's own writes through the mount.
        writers.values().forEach(ReplicaWriter::stop);
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            LOG.warn("the replication thread did not stop within 5 s");
        }
        for (ReplicaWriter writer : writers.values()) {
            try {
                writer.close();
            } catch (IOException e) {
                LOG.debug("closing a replica writer: {}", e.getMessage());
            }
        }
    }
}
