package dev.litecluster.cluster.lease;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Not Consul: no Consul server can be installed on this machine, so the lease tests run the real
 * {@link ConsulLease} client against this small in-test HTTP server, which follows Consul's
 * documented session and KV API for exactly the calls the client makes:
 * {@code PUT /v1/session/create} (Name, Behavior, TTL, LockDelay), {@code PUT /v1/session/renew/:id}
 * (404 once invalidated), {@code PUT /v1/session/destroy/:id}, {@code GET /v1/kv/:key} (array of
 * entries with base64 Value, Session, ModifyIndex; 404 when absent), {@code PUT /v1/kv/:key?acquire=}
 * and {@code ?release=} (body {@code true}/{@code false}). Sessions are invalidated when their TTL
 * passes (no ×2 grace, unlike Consul: the strict case for fencing); behavior "delete" deletes the
 * keys they hold; invalidation while holding a key blocks acquires of it for the lock delay.
 */
final class ConsulFake implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final Map<String, Session> sessions = new HashMap<>();
    private final Map<String, Entry> kv = new HashMap<>();
    private final Map<String, Long> lockDelayUntil = new HashMap<>();
    private long index = 1;

    private static final class Session {
        final long ttlNanos;
        final long lockDelayNanos;
        long expires;

        Session(long ttlNanos, long lockDelayNanos) {
            this.ttlNanos = ttlNanos;
            this.lockDelayNanos = lockDelayNanos;
            this.expires = System.nanoTime() + ttlNanos;
        }
    }

    private static final class Entry {
        byte[] value;
        String session;
        long createIndex;
        long modifyIndex;
        long lockIndex;
    }

    ConsulFake() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v1/", this::handle);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private synchronized void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            expireSessions();
            String path = exchange.getRequestURI().getPath();
            String query = exchange.getRequestURI().getQuery();
            byte[] body = exchange.getRequestBody().readAllBytes();
            String method = exchange.getRequestMethod();
            if (method.equals("PUT") && path.equals("/v1/session/create")) {
                JsonNode request = JSON.readTree(body);
                String id = UUID.randomUUID().toString();
                sessions.put(id, new Session(duration(request.path("TTL").asText("10s")).toNanos(),
                        duration(request.path("LockDelay").asText("15s")).toNanos()));
                reply(exchange, 200, JSON.writeValueAsBytes(Map.of("ID", id)));
            } else if (method.equals("PUT") && path.startsWith("/v1/session/renew/")) {
                Session session = sessions.get(path.substring("/v1/session/renew/".length()));
                if (session == null) {
                    reply(exchange, 404, "Session id not found".getBytes(StandardCharsets.UTF_8));
                    return;
                }
                session.expires = System.nanoTime() + session.ttlNanos;
                reply(exchange, 200, "[{}]".getBytes(StandardCharsets.UTF_8));
            } else if (method.equals("PUT") && path.startsWith("/v1/session/destroy/")) {
                invalidate(path.substring("/v1/session/destroy/".length()));
                reply(exchange, 200, "true".getBytes(StandardCharsets.UTF_8));
            } else if (path.startsWith("/v1/kv/")) {
                kv(exchange, method, path.substring("/v1/kv/".length()), query, body);
            } else {
                reply(exchange, 404, ("no such endpoint " + path).getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    private void kv(HttpExchange exchange, String method, String key, String query, byte[] body) throws IOException {
        if (method.equals("GET")) {
            Entry entry = kv.get(key);
            if (entry == null) {
                reply(exchange, 404, new byte[0]);
                return;
            }
            Map<String, Object> json = new HashMap<>();
            json.put("Key", key);
            json.put("Value", entry.value == null ? null : Base64.getEncoder().encodeToString(entry.value));
            json.put("CreateIndex", entry.createIndex);
            json.put("ModifyIndex", entry.modifyIndex);
            json.put("LockIndex", entry.lockIndex);
            json.put("Flags", 0);
            if (entry.session != null) {
                json.put("Session", entry.session);
            }
            reply(exchange, 200, JSON.writeValueAsBytes(List.of(json)));
        } else if (method.equals("PUT") && query != null && query.startsWith("acquire=")) {
            String session = query.substring("acquire=".length());
            Entry entry = kv.get(key);
            Long delayedUntil = lockDelayUntil.get(key);
            boolean delayed = delayedUntil != null && delayedUntil - System.nanoTime() > 0;
            boolean ok = sessions.containsKey(session) && !delayed
                    && (entry == null || entry.session == null || entry.session.equals(session));
            if (ok) {
                if (entry == null) {
                    entry = new Entry();
                    entry.createIndex = ++index;
                    kv.put(key, entry);
                }
                entry.value = body;
                if (!session.equals(entry.session)) {
                    entry.lockIndex++;
                }
                entry.session = session;
                entry.modifyIndex = ++index;
            }
            reply(exchange, 200, Boolean.toString(ok).getBytes(StandardCharsets.UTF_8));
        } else if (method.equals("PUT") && query != null && query.startsWith("release=")) {
            Entry entry = kv.get(key);
            boolean ok = entry != null && query.substring("release=".length()).equals(entry.session);
            if (ok) {
                entry.session = null;
                entry.modifyIndex = ++index;
            }
            reply(exchange, 200, Boolean.toString(ok).getBytes(StandardCharsets.UTF_8));
        } else {
            reply(exchange, 400, "unsupported KV request".getBytes(StandardCharsets.UTF_8));
        }
    }

    private void expireSessions() {
        long now = System.nanoTime();
        sessions.entrySet().stream().filter(e -> now - e.getValue().expires >= 0).map(Map.Entry::getKey).toList()
                .forEach(this::invalidate);
    }

    /** Ends a session: the keys it holds are deleted (behavior "delete") and locked for its lock delay. */
    private void invalidate(String id) {
        Session session = sessions.remove(id);
        if (session == null) {
            return;
        }
        kv.entrySet().removeIf(e -> {
            if (id.equals(e.getValue().session)) {
                lockDelayUntil.put(e.getKey(), System.nanoTime() + session.lockDelayNanos);
                return true;
            }
            return false;
        });
    }

    private static Duration duration(String text) {
        if (text.endsWith("ms")) {
            return Duration.ofMillis(Long.parseLong(text.substring(0, text.length() - 2)));
        }
        return Duration.ofMillis((long) (Double.parseDouble(text.substring(0, text.length() - 1)) * 1000));
    }

    private static void reply(HttpExchange exchange, int status, byte[] body) throws IOException {
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
