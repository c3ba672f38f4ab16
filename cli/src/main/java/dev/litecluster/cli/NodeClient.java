package dev.litecluster.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.litecluster.cluster.NodeApi;
import dev.litecluster.cluster.NodeStatus;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.CompletableResponseListener;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.InputStreamResponseListener;
import org.eclipse.jetty.client.PathRequestContent;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.http.HttpMethod;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** A client of one node's HTTP API; failures are {@link IOException}s with a one-line message. */
final class NodeClient implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How long a request may take unless it says otherwise. */
    private static final Duration TIMEOUT = Duration.ofMinutes(10);

    private final String base;
    private final String secret;
    private final HttpClient http;
    /** Whether {@link #close()} stops {@link #http} (it was started for this client). */
    private final boolean ownsHttp;

    NodeClient(String base, String secret) {
        this(new HttpClient(), base, secret, true);
        try {
            http.start();
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the HTTP client", e);
        }
    }

    /** A client that sends through {@code http}: started, and stopped by its owner (not by {@link #close()}). */
    NodeClient(HttpClient http, String base, String secret) {
        this(http, base, secret, false);
    }

    private NodeClient(HttpClient http, String base, String secret, boolean ownsHttp) {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.secret = secret;
        this.http = http;
        this.ownsHttp = ownsHttp;
    }

    private Request request(HttpMethod method, String path) {
        return NodeApi.authorize(http.newRequest(base + path).method(method)
                .timeout(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS), secret);
    }

    String get(String path) throws IOException {
        return body(send(request(HttpMethod.GET, path)));
    }

    /** The node's {@code GET /status}. */
    NodeStatus status() throws IOException {
        return status(TIMEOUT);
    }

    /** The node's {@code GET /status}, answered within {@code timeout}. */
    NodeStatus status(Duration timeout) throws IOException {
        return status(send(statusRequest(timeout)));
    }

    /**
     * Asks for the node's {@code GET /status} without waiting for the answer: completes with it within
     * {@code timeout}, or exceptionally with the {@link IOException} {@link #status(Duration)} would throw.
     */
    CompletableFuture<NodeStatus> askStatus(Duration timeout) {
        CompletableFuture<NodeStatus> status = new CompletableFuture<>();
        new CompletableResponseListener(statusRequest(timeout)).send().whenComplete((response, failure) -> {
            try {
                if (failure != null) {
                    throw unreachable(failure);
                }
                status.complete(status(response));
            } catch (IOException e) {
                status.completeExceptionally(e);
            }
        });
        return status;
    }

    private Request statusRequest(Duration timeout) {
        return request(HttpMethod.GET, "/status").timeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static NodeStatus status(ContentResponse response) throws IOException {
        return JSON.readValue(succeeded(response).getContent(), NodeStatus.class);
    }

    /** Streams {@code GET path} into {@code target} (written to a temp file first, then moved). */
    void download(String path, Path target) throws IOException {
        InputStreamResponseListener listener = new InputStreamResponseListener();
        request(HttpMethod.GET, path).send(listener);
        Response response;
        try {
            response = listener.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw unreachable(e);
        }
        try (InputStream in = listener.getInputStream()) {
            if (response.getStatus() != 200) {
                throw new Refused(new String(in.readAllBytes()).strip(), response.getStatus());
            }
            Path temp = Files.createTempFile(target.toAbsolutePath().getParent(), ".download-", ".tmp");
            try {
                Files.copy(in, temp, StandardCopyOption.REPLACE_EXISTING);
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(temp);
            }
        }
    }

    /** {@code POST path} with a JSON body; the answer's body, within {@code timeout}. */
    String post(String path, byte[] json, Duration timeout) throws IOException {
        return body(send(request(HttpMethod.POST, path).timeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .body(new BytesRequestContent("application/json", json))));
    }

    String upload(String path, Path file) throws IOException {
        return body(send(request(HttpMethod.POST, path).body(new PathRequestContent("application/vnd.sqlite3", file))));
    }

    private ContentResponse send(Request request) throws IOException {
        try {
            return request.send();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unreachable(e);
        } catch (Exception e) {
            throw unreachable(e);
        }
    }

    private IOException unreachable(Throwable e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        return new IOException("cannot reach the node at " + base + ": " + cause.getMessage());
    }

    private static String body(ContentResponse response) throws IOException {
        return succeeded(response).getContentAsString();
    }

    /** {@code response} if it is a success (HTTP 200), else its refusal. */
    private static ContentResponse succeeded(ContentResponse response) throws Refused {
        if (response.getStatus() != 200) {
            throw new Refused(response.getContentAsString().strip(), response.getStatus());
        }
        return response;
    }

    /** The node answered, and not with success (as opposed to a node that could not be reached). */
    static final class Refused extends IOException {
        private final String answer;

        Refused(String answer, int status) {
            super(answer + " (HTTP " + status + ")");
            this.answer = answer;
        }

        /** What the node answered, without the status. */
        String answer() {
            return answer;
        }
    }

    @Override
    public void close() {
        if (!ownsHttp) {
            return;
        }
        try {
            http.stop();
        } catch (Exception e) {
            // stopping a client that sent its last request cannot lose anything
        }
    }
}
