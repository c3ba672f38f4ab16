package dev.litecluster.cluster.lease;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * A lease this node holds, kept alive: renewed every third of its TTL, and considered lost a
 * safety margin <em>before</em> the TTL could run out at the service, counted from the moment the
 * last successful renewal was sent (the service starts its countdown later than that). So a node
 * that cannot renew — partitioned, or paused and resumed — sees {@link #isValid()} turn false
 * before any other node can take the lease: the fence the filesystem checks before every write.
 * The monotonic clock keeps running while a process is stopped, so a resumed process is fenced
 * on its first check, before any thread of this class has run again.
 */
public final class HeldLease implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HeldLease.class);
    private static final long CHECK_MILLIS = 20;

    private final Lease lease;
    private final Grant grant;
    private final long ttlNanos;
    private final long marginNanos;
    private final Runnable onLost;
    private ScheduledFuture<?> renewing;
    private ScheduledFuture<?> checking;
    private volatile long validUntil;
    private volatile boolean lost;
    private volatile boolean closed;
    private String lastProblem;

    private HeldLease(Lease lease, Grant grant, long sentNanos, Runnable onLost) {
        this.lease = lease;
        this.grant = grant;
        this.ttlNanos = grant.ttl().toNanos();
        this.marginNanos = margin(grant.ttl()).toNanos();
        this.validUntil = sentNanos + ttlNanos - marginNanos;
        this.onLost = onLost;
    }

    /**
     * The timer threads leases are kept alive on, made once per process: a handoff's new primary
     * starts keeping its lease while writes are frozen, and starting threads then cost milliseconds.
     */
    public static ScheduledExecutorService timers() {
        ScheduledThreadPoolExecutor timers = new ScheduledThreadPoolExecutor(2, r -> {
            Thread t = new Thread(r, "lease-timer");
            t.setDaemon(true);
            return t;
        });
        timers.prestartAllCoreThreads(); // the pool would start them on first use
        timers.setRemoveOnCancelPolicy(true);
        return timers;
    }

    /**
     * Starts keeping {@code grant} alive.
     *
     * @param sentNanos {@link System#nanoTime()} when the acquire request was sent (or any moment no
     *                  later than when the service started counting the TTL: validity runs from it)
     * @param onLost    called once, from a timer thread, when the lease is lost (not on close)
     * @param timers    from {@link #timers()}
     */
    public static HeldLease keep(Lease lease, Grant grant, long sentNanos, Runnable onLost, ScheduledExecutorService timers) {
        HeldLease held = new HeldLease(lease, grant, sentNanos, onLost);
        long every = Math.max(1, held.ttlNanos / 3);
        synchronized (held) {
            held.renewing = timers.scheduleWithFixedDelay(held::renew, every, every, TimeUnit.NANOSECONDS);
            held.checking = timers.scheduleWithFixedDelay(held::checkDeadline, CHECK_MILLIS, CHECK_MILLIS, TimeUnit.MILLISECONDS);
        }
        return held;
    }

    /** How long before the TTL runs out this node stops acting as primary: a quarter of the TTL, at most 1 s. */
    static Duration margin(Duration ttl) {
        Duration quarter = ttl.dividedBy(4);
        return quarter.compareTo(Duration.ofSeconds(1)) < 0 ? quarter : Duration.ofSeconds(1);
    }

    public Grant grant() {
        return grant;
    }

    public long epoch() {
        return grant.epoch();
    }

    /** True while this node may act as primary: renewed recently enough, and not lost or released. */
    public boolean isValid() {
        return !lost && !closed && System.nanoTime() - validUntil < 0;
    }

    /** Milliseconds of validity left (negative once it is over). */
    public long remainingMillis() {
        return TimeUnit.NANOSECONDS.toMillis(validUntil - System.nanoTime());
    }

    private void renew() {
        if (lost || closed) {
            return;
        }
        long sent = System.nanoTime();
        try {
            if (lease.renew(grant)) {
                if (sent + ttlNanos - marginNanos - validUntil > 0) {
                    validUntil = sent + ttlNanos - marginNanos;
                }
                if (lastProblem != null) {
                    LOG.info("{} lease {} renewed again", lease.type(), grant.id());
                    lastProblem = null;
                }
            } else {
                lose("the " + lease.type() + " lease is gone (expired, revoked or taken)");
            }
        } catch (IOException | RuntimeException e) {
            String problem = e.getMessage();
            if (!problem.equals(lastProblem)) {
                LOG.warn("cannot renew the {} lease ({} ms of it left): {}", lease.type(), remainingMillis(), problem);
                lastProblem = problem;
            }
        }
        checkDeadline();
    }

    private void checkDeadline() {
        if (!lost && !closed && System.nanoTime() - validUntil >= 0) {
            lose("not renewed in time: gave it up " + TimeUnit.NANOSECONDS.toMillis(marginNanos)
                    + " ms before it can expire for others");
        }
    }

    private synchronized void lose(String why) {
        if (lost || closed) {
            return;
        }
        lost = true;
        LOG.warn("lost the primary lease (epoch {}): {}", grant.epoch(), why);
        cancelTimers();
        onLost.run();
    }

    /** Stops renewing without releasing (a handoff passes the lease on, or the process is going down hard). */
    public synchronized void stop() {
        closed = true;
        cancelTimers();
    }

    /** Not interrupting a renewal under way: the pool's threads are shared, and it sees {@code closed} when it ends. */
    private void cancelTimers() {
        renewing.cancel(false);
        checking.cancel(false);
    }

    /** Stops renewing and releases the lease so another node can take it at once. */
    @Override
    public void close() {
        boolean wasHeld = !lost && !closed;
        stop();
        if (wasHeld) {
            try {
                lease.release(grant);
                LOG.info("released the {} lease (epoch {})", lease.type(), grant.epoch());
            } catch (IOException | RuntimeException e) {
                LOG.warn("cannot release the {} lease (it expires by itself): {}", lease.type(), e.getMessage());
            }
        }
    }
}
