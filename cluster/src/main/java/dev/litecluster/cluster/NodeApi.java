package dev.litecluster.cluster;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The node's HTTP API (DESIGN.md §5): one listener, routes by method and path, every route but
 * {@code /health} behind the cluster secret (a bearer token).
 */
public final class NodeApi implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeApi.class);

    /** One endpoint. Throw {@link ApiException} for an expected failure (its status and one-line message). */
    @FunctionalInterface
    public interface Route {
        void handle(Request request, Response response, Callback callback) throws Exception;
    }

    private final Map<String, Route> routes = new LinkedHashMap<>();
    private final String secret;
    private final Server server;
    private final ServerConnector connector;

    /**
     * @param addr   {@code host:port} or {@code :port} (all interfaces); port 0 picks a free one
     * @param secret the cluster secret, or null/empty for an open API (logged as a warning)
     */
    public NodeApi(String addr, String secret) {
        this.secret = secret == null || secret.isEmpty() ? null : secret;
        QueuedThreadPool threads = new QueuedThreadPool(64, 4);
        threads.setName("node-api");
        this.server = new Server(threads);
        this.connector = new ServerConnector(server);
        int colon = addr.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("http.addr '" + addr + "' must be host:port or :port");
        }
        String host = addr.substring(0, colon);
        connector.setHost(host.isEmpty() ? null : host);
        connector.setPort(Integer.parseInt(addr.substring(colon + 1)));
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                dispatch(request, response, callback);
                return true;
            }
        });
        route("GET", "/health", (req, res, cb) -> text(res, cb, HttpStatus.OK_200, "ok\n"));
    }

    /** Adds an endpoint; call before {@link #start()}. */
    public NodeApi route(String method, String path, Route route) {
        routes.put(method + " " + path, route);
        return this;
    }

    public NodeApi start() throws IOException {
        try {
            server.start();
        } catch (Exception e) {
            throw new IOException("node API cannot listen on " + connector.getHost() + ":" + connector.getPort()
                    + ": " + e.getMessage(), e);
        }
        if (secret == null) {
            LOG.warn("node API on port {} has no cluster secret: set http.secret or LITECLUSTER_SECRET", port());
        } else {
            LOG.info("node API on port {}", port());
        }
        return this;
    }

    public int port() {
        return connector.getLocalPort();
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(connector.getHost() == null ? "127.0.0.1" : connector.getHost(), port());
    }

    private void dispatch(Request request, Response response, Callback callback) {
        String path = Request.getPathInContext(request);
        Route route = routes.get(request.getMethod() + " " + path);
        try {
            if (route == null) {
                boolean known = routes.keySet().stream().anyMatch(k -> k.endsWith(" " + path));
                throw new ApiException(known ? HttpStatus.METHOD_NOT_ALLOWED_405 : HttpStatus.NOT_FOUND_404,
                        request.getMethod() + " " + path + " is not part of the node API");
            }
            if (!path.equals("/health") && !authorized(request)) {
                response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer realm=\"litecluster\"");
                throw new ApiException(HttpStatus.UNAUTHORIZED_401, "missing or wrong cluster secret");
            }
            route.handle(request, response, callback);
        } catch (ApiException e) {
            text(response, callback, e.status(), e.getMessage() + "\n");
        } catch (Exception e) {
            LOG.error("{} {} failed: {}", request.getMethod(), path, e.toString());
            text(response, callback, HttpStatus.INTERNAL_SERVER_ERROR_500, "internal error: " + e.getMessage() + "\n");
        }
    }

    private boolean authorized(Request request) {
        if (secret == null) {
            return true;
        }
        String header = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        byte[] given = header == null ? new byte[0] : header.getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(given, bearer(secret).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Makes {@code request} (to another node's API) carry the cluster secret as {@link #authorized}
     * expects it; a null or empty {@code secret} (an open API) adds nothing. Returns the request.
     */
    public static org.eclipse.jetty.client.Request authorize(org.eclipse.jetty.client.Request request, String secret) {
        if (secret != null && !secret.isEmpty()) {
            request.headers(h -> h.put(HttpHeader.AUTHORIZATION, bearer(secret)));
        }
        return request;
    }

    private static String bearer(String secret) {
        return "Bearer " + secret;
    }

    /** Sends a plain-text reply. */
    public static void text(Response response, Callback callback, int status, String body) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
        Content.Sink.write(response, true, body, callback);
    }

    /** Sends a JSON reply. */
    public static void json(Response response, Callback callback, String body) {
        response.setStatus(HttpStatus.OK_200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        Content.Sink.write(response, true, body, callback);
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            LOG.warn("stopping the node API: {}", e.getMessage());
        }
    }
}
