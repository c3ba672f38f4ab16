package dev.litecluster.cluster.lease;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.http.HttpMethod;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The primary lease in Consul, as LiteFS takes it: a session with the TTL and lock delay
 * ({@code Behavior: delete}, so the key goes when the session does), then a KV acquire of the
 * primary key with the primary's JSON as value. Renewal renews the session; release (clean exit)
 * releases the key and destroys the session, so another node can take it at once. The URL's
 * password is the ACL token and its path a key prefix, as in LiteFS ({@code lease.consul.url}).
 * The epoch is the key's ModifyIndex after the acquire (a Raft index: only grows).
 */
public final class ConsulLease implements Lease {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String base;
    private final String token;
    private final String key;
    private final Duration ttl;
    private final Duration lockDelay;
    private final HttpClient http = new HttpClient();
    private final long timeoutMillis;

    public ConsulLease(String url, String key, Duration ttl, Duration lockDelay) throws IOException {
        URI uri = URI.create(url);
        String userInfo = uri.getRawUserInfo();
        this.token = userInfo == null || !userInfo.contains(":") ? null : userInfo.substring(userInfo.indexOf(':') + 1);
        this.base = uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort());
        String prefix = uri.getPath() == null ? "" : uri.getPath().replaceAll("^/+|/+$", "");
        this.key = prefix.isEmpty() ? key : prefix + "/" + key;
        this.ttl = ttl;
        this.lockDelay = lockDelay;
        this.timeoutMillis = Math.max(200, ttl.toMillis() / 3);
        try {
            http.start();
        } catch (Exception e) {
            throw new IOException("consul: cannot start the HTTP client: " + e.getMessage(), e);
        }
    }

    @Override
    public String type() {
        return "consul";
    }

    @Override
    public Duration ttl() {
        return ttl;
    }

    @Override
    public Grant acquire(PrimaryInfo self) throws IOException {
        if (primary() != null) {
            return null;
        }
        return take(self);
    }

    /**
     * Releases the key and takes it again, with a new session, for the target. Consul cannot move a
     * lock between sessions atomically; a release (unlike an invalidated session) has no lock-delay,
     * so in the instant between the two another candidate could win — then this returns null and the
     * cluster follows that node, which is safe (this node stopped writing before the release).
     */
    @Override
    public Grant handOff(Grant held, PrimaryInfo target) throws IOException {
        JsonNode entry = entry();
        if (entry == null || !held.id().equals(entry.path("Session").asText())) {
            return null;
        }
        release(held);
        return take(target);
    }

    /** Creates a session and acquires the key with {@code primary} as its value; null if another session holds it. */
    private Grant take(PrimaryInfo primary) throws IOException {
        byte[] session = JSON.writeValueAsBytes(Map.of("Name", "litecluster", "Behavior", "delete",
                "TTL", ttl.toSeconds() + "s", "LockDelay", lockDelay.toMillis() + "ms"));
        String id = JSON.readTree(send(HttpMethod.PUT, "/v1/session/create", session, 200)).path("ID").asText();
        if (id.isEmpty()) {
            throw new IOException("consul: session create returned no ID");
        }
        boolean acquired = Boolean.parseBoolean(new String(send(HttpMethod.PUT, kvPath() + "?acquire=" + id,
                primary.toJson(), 200), StandardCharsets.UTF_8).strip());
        if (!acquired) {
            destroyQuietly(id);
            return null;
        }
        JsonNode entry = entry();
        if (entry == null || !id.equals(entry.path("Session").asText())) {
            destroyQuietly(id);
            return null;
        }
        return new Grant(id, entry.path("ModifyIndex").asLong(), ttl);
    }

    @Override
    public boolean renew(Grant grant) throws IOException {
        ContentResponse response = call(HttpMethod.PUT, "/v1/session/renew/" + grant.id(), new byte[0]);
        if (response.getStatus() == 404) {
            return false; // the session is gone: invalidated by the TTL, or destroyed
        }
        check(response, "/v1/session/renew", 200);
        JsonNode entry = entry();
        return entry != null && grant.id().equals(entry.path("Session").asText());
    }

    @Override
    public void release(Grant grant) throws IOException {
        try {
            send(HttpMethod.PUT, kvPath() + "?release=" + grant.id(), new byte[0], 200);
        } finally {
            destroyQuietly(grant.id());
        }
    }

    @Override
    public PrimaryInfo primary() throws IOException {
        JsonNode entry = entry();
        if (entry == null || entry.path("Session").asText().isEmpty() || entry.path("Value").isNull()) {
            return null; // no key, or a key no session holds (released)
        }
        byte[] value = Base64.getDecoder().decode(entry.path("Value").asText());
        return PrimaryInfo.fromJson(value).withEpoch(entry.path("ModifyIndex").asLong());
    }

    /** The primary key's KV entry, or null when it does not exist. */
    private JsonNode entry() throws IOException {
        ContentResponse response = call(HttpMethod.GET, kvPath(), null);
        if (response.getStatus() == 404) {
            return null;
        }
        check(response, kvPath(), 200);
        JsonNode entries = JSON.readTree(response.getContent());
        return entries.isArray() && !entries.isEmpty() ? entries.get(0) : null;
    }

    private String kvPath() {
        return "/v1/kv/" + URLEncoder.encode(key, StandardCharsets.UTF_8).replace("%2F", "/");
    }

    private void destroyQuietly(String session) {
        try {
            send(HttpMethod.PUT, "/v1/session/destroy/" + session, new byte[0], 200);
        } catch (IOException e) {
            // the TTL ends it
        }
    }

    private byte[] send(HttpMethod method, String path, byte[] body, int expected) throws IOException {
        ContentResponse response = call(method, path, body);
        check(response, path, expected);
        return response.getContent();
    }

    private static void check(ContentResponse response, String path, int expected) throws IOException {
        if (response.getStatus() != expected) {
            throw new IOException("consul: " + path.replaceAll("\\?.*", "") + " answered HTTP " + response.getStatus()
                    + ": " + response.getContentAsString().strip());
        }
    }

    private ContentResponse call(HttpMethod method, String path, byte[] body) throws IOException {
        Request request = http.newRequest(base + path).method(method).timeout(timeoutMillis, TimeUnit.MILLISECONDS);
        if (body != null) {
            request.body(new BytesRequestContent("application/json", body));
        }
        if (token != null) {
            request.headers(h -> h.put("X-Consul-Token", token));
        }
        try {
            return request.send();
        } catch (ExecutionException e) {
            throw new IOException("consul: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("consul: no answer within " + timeoutMillis + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("consul: interrupted", e);
        }
    }

    @Override
    public void close() {
        try {
            http.stop();
        } catch (Exception e) {
            // nothing left to do
        }
    }
}
