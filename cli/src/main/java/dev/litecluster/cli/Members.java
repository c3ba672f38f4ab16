package dev.litecluster.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.litecluster.cluster.NodeStatus;
import dev.litecluster.cluster.PeerStatus;
import org.eclipse.jetty.client.HttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The other nodes of the cluster, as this node last heard of them: their node API URLs, learned
 * from the primary's replica list and kept in {@code <data>/members.json} so that a node starting
 * after a full stop (Fly's autostop) still knows whom to ask. Before a candidate takes a free
 * lease it asks them what they have ({@link #fresherCandidates}): a candidate with newer data
 * should win, or the newer data would be lost (DESIGN.md decision 11).
 */
final class Members implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Members.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A member that does not answer this fast is treated as unreachable. */
    private static final Duration ASK_TIMEOUT = Duration.ofMillis(500);

    private final Path file;
    private final String self;
    private final String secret;
    private final HttpClient http = new HttpClient();
    private final TreeSet<String> urls = new TreeSet<>();

    Members(Path file, String selfUrl, String secret) throws IOException {
        this.file = file;
        this.self = selfUrl;
        this.secret = secret;
        if (Files.exists(file)) {
            urls.addAll(JSON.readValue(file.toFile(), new TypeReference<List<String>>() { }));
        }
        try {
            http.start();
        } catch (Exception e) {
            throw new IOException("cannot start the HTTP client: " + e.getMessage(), e);
        }
    }

    /** Records the primary and the replicas it reports, from its {@code /status}. */
    void learnFrom(String primaryUrl) {
        NodeStatus status = status(primaryUrl);
        if (status != null) {
            List<String> seen = new ArrayList<>(List.of(primaryUrl));
            status.peers().stream().map(PeerStatus::url).forEach(seen::add);
            learn(seen);
        }
    }

    /** Records the given node URLs (this node's own is left out); saves the list when it grew. */
    synchronized void learn(Collection<String> seen) {
        boolean grew = false;
        for (String url : seen) {
            if (url != null && !url.equals(self)) {
                grew |= urls.add(url);
            }
        }
        if (grew) {
            try {
                Path temp = file.resolveSibling(file.getFileName() + ".tmp");
                JSON.writeValue(temp.toFile(), List.copyOf(urls));
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                LOG.warn("cannot save the member list {}: {}", file, e.getMessage());
            }
        }
    }

    /**
     * The reachable candidates that have a newer transaction than {@code ours} (TXID per database)
     * in some database, each as {@code "name (db txid N)"}, in the order of their URLs. Every member
     * is asked at once, and all have the same {@link #ASK_TIMEOUT} to answer: a dead one (the old
     * primary, after a crash) costs the wait once, not once for each.
     */
    List<String> fresherCandidates(Map<String, Long> ours) {
        List<String> known;
        synchronized (this) {
            known = List.copyOf(urls);
        }
        long deadline = System.nanoTime() + ASK_TIMEOUT.toNanos();
        List<CompletableFuture<NodeStatus>> asked = known.stream().map(this::askStatus).toList();
        List<String> fresher = new ArrayList<>();
        for (CompletableFuture<NodeStatus> answer : asked) {
            NodeStatus status = answered(answer, deadline);
            if (status == null || !status.candidate()) {
                continue;
            }
            for (NodeStatus.DatabaseStatus db : status.databases()) {
                if (db.txid() > ours.getOrDefault(db.name(), 0L)) {
                    fresher.add(status.hostname() + " (" + db.name() + " txid " + db.txid() + ")");
                    break;
                }
            }
        }
        return fresher;
    }

    /** Asks a node's {@code /status}: completes with it, or with null when it does not answer in time. */
    private CompletableFuture<NodeStatus> askStatus(String url) {
        try (NodeClient node = new NodeClient(http, url, secret)) {
            return node.askStatus(ASK_TIMEOUT).exceptionally(failure -> null);
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(null); // not a URL: it cannot be primary now either
        }
    }

    /** What {@code answer} completed with by {@code deadline} ({@link System#nanoTime()}), else null. */
    private static NodeStatus answered(CompletableFuture<NodeStatus> answer, long deadline) {
        try {
            return answer.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return answer.getNow(null);
        } catch (ExecutionException | TimeoutException e) {
            return null;
        }
    }

    /** A node's {@code /status}, or null when it does not answer in time. */
    private NodeStatus status(String url) {
        try (NodeClient node = new NodeClient(http, url, secret)) {
            return node.status(ASK_TIMEOUT);
        } catch (IOException | RuntimeException e) {
            return null; // unreachable, refused, or not a node: it cannot be primary now either
        }
    }

    @Override
    public void close() {
        try {
            http.stop();
        } catch (Exception e) {
            // nothing was in flight that matters
        }
    }
}
