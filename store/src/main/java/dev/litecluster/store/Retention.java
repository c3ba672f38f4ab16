package dev.litecluster.store;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;

/**
 * Deletes old log segments of every database on a schedule: keeps at least {@code keep} of history
 * and everything from the oldest TXID a replica or the backup still needs (config
 * {@code data.retention}, LiteFS's key; default 10 minutes).
 */
public final class Retention implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Retention.class);

    private final Store store;
    private final Duration keep;
    private final ToLongFunction<Database> neededFrom;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "retention");
        t.setDaemon(true);
        return t;
    });

    /**
     * @param neededFrom the oldest TXID still needed per database ({@code Long.MAX_VALUE} when nobody waits)
     */
    public Retention(Store store, Duration keep, ToLongFunction<Database> neededFrom) {
        this.store = store;
        this.keep = keep;
        this.neededFrom = neededFrom;
    }

    public Retention start(Duration interval) {
        timer.scheduleWithFixedDelay(this::runOnce, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    /** One pass over every database. */
    public void runOnce() {
        for (Database database : store.databases()) {
            try {
                int deleted = database.enforceRetention(keep.toMillis(), neededFrom.applyAsLong(database));
                if (deleted > 0) {
                    LOG.info("database {}: retention deleted {} log segment(s); log now holds txid {}..{}",
                            database.name(), deleted, database.log().firstTxid(), database.log().lastTxid());
                }
            } catch (IOException e) {
                LOG.error("database {}: retention failed: {}", database.name(), e.getMessage());
            }
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
