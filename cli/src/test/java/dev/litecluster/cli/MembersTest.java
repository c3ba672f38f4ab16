package dev.litecluster.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.litecluster.cluster.NodeApi;
import dev.litecluster.cluster.NodeStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** What a candidate learns from the other members before it takes a free lease. */
class MembersTest {
    private static final String SECRET = "s3cret";

    @TempDir
    Path root;

    /**
     * Members that accept the connection and never answer (a paused or half-dead node) are all asked
     * at once and share one 500 ms wait: three of them cost it once, not three times.
     */
    @Test
    void membersAreAskedAtOnceWithinOneWait() throws Exception {
        List<ServerSocket> silent = new ArrayList<>();
        List<Socket> accepted = new java.util.concurrent.CopyOnWriteArrayList<>();
        NodeApi fresh = new NodeApi("127.0.0.1:0", SECRET);
        NodeApi stale = new NodeApi("127.0.0.1:0", SECRET);
        try (Members members = new Members(root.resolve("members.json"), "http://127.0.0.1:1", SECRET)) {
            List<String> urls = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
                silent.add(socket);
                Thread.ofPlatform().daemon().start(() -> {
                    try {
                        while (true) {
                            accepted.add(socket.accept());
                        }
                    } catch (IOException e) {
                        // closed
                    }
                });
                urls.add("http://127.0.0.1:" + socket.getLocalPort());
            }
            urls.add(serve(fresh, status("fresh", true, 12)));
            urls.add(serve(stale, status("stale", true, 5)));
            members.learn(urls);

            members.fresherCandidates(Map.of("app.db", 10L)); // the HTTP client's first requests load its classes
            long began = System.nanoTime();
            List<String> fresher = members.fresherCandidates(Map.of("app.db", 10L));
            long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);

            assertThat(fresher).containsExactly("fresh (app.db txid 12)");
            assertThat(took).as("one shared wait for the members that do not answer").isBetween(400L, 1_000L);
        } finally {
            fresh.close();
            stale.close();
            for (ServerSocket socket : silent) {
                socket.close();
            }
            for (Socket socket : accepted) {
                socket.close();
            }
        }
    }

    private static NodeStatus status(String hostname, boolean candidate, long txid) {
        return new NodeStatus(hostname, "replica", candidate, null, "LC1",
                List.of(new NodeStatus.DatabaseStatus("app.db", txid, "0000000000000000", 4096, 1, txid)), List.of(), null, 0);
    }

    /** Serves {@code status} as a node's {@code GET /status}; returns the API's URL. */
    private static String serve(NodeApi api, NodeStatus status) throws IOException {
        String json = new ObjectMapper().writeValueAsString(status);
        api.route("GET", "/status", (req, res, cb) -> NodeApi.json(res, cb, json)).start();
        return "http://127.0.0.1:" + api.port();
    }
}
