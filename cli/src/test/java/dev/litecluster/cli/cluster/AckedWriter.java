package dev.litecluster.cli.cluster;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Writes one row per transaction ({@code INSERT INTO acks(id, node)}) through the mounts of
 * {@code targets}, trying them in turn until one accepts, and records every commit SQLite
 * acknowledged — with the node and the moment — so a test can compare them with the final
 * database. A node that refuses (replica: read-only; fenced primary: read-only or I/O error) is
 * skipped; its connection is reopened next time.
 */
final class AckedWriter implements AutoCloseable {
    static final String DB = "acks.db";
    static final String SCHEMA = "CREATE TABLE acks(id INTEGER PRIMARY KEY, node TEXT NOT NULL)";

    /** One acknowledged commit: {@code began} when the transaction was sent, {@code nanos} when SQLite answered. */
    record Ack(long id, String node, long began, long nanos) {
    }

    private static final AtomicLong IDS = new AtomicLong();

    private final List<ClusterNode> targets;
    private final Map<ClusterNode, Connection> connections = new HashMap<>();
    private final List<Ack> acks = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private final Map<String, String> lastErrors = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean stopped;

    AckedWriter(List<ClusterNode> targets) {
        this.targets = List.copyOf(targets);
        this.thread = new Thread(this::run, "acked-writer");
        this.thread.setDaemon(true);
    }

    AckedWriter start() {
        thread.start();
        return this;
    }

    /** The last error each node gave, for failure messages. */
    Map<String, String> lastErrors() {
        return Map.copyOf(lastErrors);
    }

    /** Waits until at least {@code count} commits were acknowledged. */
    void awaitAcks(int count, java.time.Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (acks.size() < count) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("only " + acks.size() + " writes acknowledged in " + timeout.toSeconds()
                        + " s; last errors: " + lastErrors);
            }
            Thread.sleep(20);
        }
    }

    /** The ids the database on {@code node} holds. */
    static java.util.Set<Long> storedIds(ClusterNode node) throws java.io.IOException, InterruptedException {
        return TestCluster.sqlite3(node.db(DB), "SELECT id FROM acks;").lines().map(Long::parseLong)
                .collect(java.util.stream.Collectors.toCollection(java.util.HashSet::new));
    }

    List<Ack> acks() {
        return new ArrayList<>(acks);
    }

    private void run() {
        while (!stopped) {
            long id = IDS.incrementAndGet();
            boolean written = false;
            for (ClusterNode node : targets) {
                if (stopped) {
                    break;
                }
                long began = System.nanoTime();
                if (node.isRunning() && write(node, id)) {
                    acks.add(new Ack(id, node.name(), began, System.nanoTime()));
                    written = true;
                    break;
                }
            }
            if (!written) {
                sleep(20);
            }
        }
    }

    private boolean write(ClusterNode node, long id) {
        try {
            Connection c = connections.get(node);
            if (c == null) {
                c = DriverManager.getConnection("jdbc:sqlite:" + node.db(DB));
                try (Statement s = c.createStatement()) {
                    s.execute("PRAGMA busy_timeout = 2000");
                }
                connections.put(node, c);
            }
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO acks(id, node) VALUES (?, ?)")) {
                insert.setLong(1, id);
                insert.setString(2, node.name());
                insert.executeUpdate();
            }
            return true;
        } catch (SQLException e) {
            lastErrors.put(node.name(), e.getMessage());
            Connection c = connections.remove(node);
            if (c != null) {
                try {
                    c.close();
                } catch (SQLException ignored) {
                    // the mount may be gone
                }
            }
            return false;
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() throws InterruptedException {
        stopped = true;
        thread.join(30_000);
        for (Connection c : connections.values()) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // the mount may be gone
            }
        }
    }
}
