package dev.litecluster.store;

import dev.litecluster.ltx.Position;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The data directory of a node (DESIGN.md §4): one {@link Database} per {@code dbs/<name>/},
 * super-journals in {@code superjournals/}, and the node's identity in {@code node.json}.
 */
public final class Store implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(Store.class);

    private final Path dir;
    private final NodeIdentity identity;
    private final Duration segmentAge;
    private final Map<String, Database> databases = new TreeMap<>();
    private final Object changeMonitor = new Object();
    private long changeCount;

    private Store(Path dir, NodeIdentity identity, Duration segmentAge) {
        this.dir = dir;
        this.identity = identity;
        this.segmentAge = segmentAge;
    }

    /** Opens the data directory, recovering every database in it. */
    public static Store open(Path dir) throws IOException {
        return open(dir, TxLog.SEGMENT_AGE);
    }

    /**
     * Opens the data directory; log segments roll after {@code segmentAge} (config
     * {@code data.segment-age}), the granularity at which retention can delete history.
     */
    public static Store open(Path dir, Duration segmentAge) throws IOException {
        Files.createDirectories(dir.resolve("dbs"));
        Files.createDirectories(dir.resolve("superjournals"));
        Store store = new Store(dir, NodeIdentity.load(dir.resolve("node.json")), segmentAge);
        List<Path> existing;
        try (Stream<Path> list = Files.list(dir.resolve("dbs"))) {
            existing = list.filter(Files::isDirectory).sorted().toList();
        }
        try {
            for (Path db : existing) {
                store.open(db.getFileName().toString());
            }
            store.deleteStaleSuperJournals();
        } catch (IOException | RuntimeException e) {
            store.close();
            throw e;
        }
        return store;
    }

    /**
     * After every database recovered no journal of the mount is left, so a super-journal belongs to
     * a multi-database transaction a crash interrupted, and SQLite would delete it; left, it would
     * make every later transaction write its database file before its commit (see
     * Database.superJournalCreated). One that still names an existing journal (a database outside
     * the mount, whose SQLite decides from it whether its transaction committed) is kept.
     */
    private void deleteStaleSuperJournals() throws IOException {
        try (Stream<Path> list = Files.list(superJournals())) {
            for (Path superJournal : list.toList()) {
                String names = new String(Files.readAllBytes(superJournal), StandardCharsets.UTF_8);
                boolean named = Arrays.stream(names.split("\0")).anyMatch(n -> !n.isEmpty() && Files.exists(Path.of(n)));
                if (!named) {
                    Files.delete(superJournal);
                    LOG.info("deleted the super-journal {} of a transaction a crash interrupted", superJournal.getFileName());
                }
            }
        }
    }

    public Path dir() {
        return dir;
    }

    public NodeIdentity identity() {
        return identity;
    }

    public Path superJournals() {
        return dir.resolve("superjournals");
    }

    /** The database called {@code name}, or null. */
    public synchronized Database get(String name) {
        return databases.get(name);
    }

    public synchronized List<Database> databases() {
        return new ArrayList<>(databases.values());
    }

    /** Every database's position, by name. */
    public Map<String, Position> positions() {
        Map<String, Position> positions = new TreeMap<>();
        for (Database database : databases()) {
            positions.put(database.name(), database.position());
        }
        return positions;
    }

    /** Opens (creating when new) the database called {@code name}. */
    public synchronized Database open(String name) throws IOException {
        Database database = databases.get(name);
        if (database == null) {
            database = Database.open(new DatabaseFiles(name, dir.resolve("dbs").resolve(name)), identity.nodeId(), segmentAge);
            database.onChange(this::changed);
            databases.put(name, database);
            changed();
            LOG.info("database {} at {}", name, database.position());
        }
        return database;
    }

    private void changed() {
        synchronized (changeMonitor) {
            changeCount++;
            changeMonitor.notifyAll();
        }
    }

    /** A counter that moves whenever any database changes position or a database is added. */
    public long changeCount() {
        synchronized (changeMonitor) {
            return changeCount;
        }
    }

    /** Waits until {@link #changeCount()} differs from {@code seen} or {@code millis} pass. */
    public long awaitChange(long seen, long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        synchronized (changeMonitor) {
            while (changeCount == seen) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    break;
                }
                changeMonitor.wait(left);
            }
            return changeCount;
        }
    }

    @Override
    public synchronized void close() throws IOException {
        IOException failure = null;
        for (Database database : databases.values()) {
            try {
                database.close();
            } catch (IOException e) {
                failure = e;
            }
        }
        databases.clear();
        if (failure != null) {
            throw failure;
        }
    }
}
