package dev.litecluster.cluster.lease;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What every {@link Lease} backend must do, run against a real service (etcd) or a faithful
 * stand-in (Consul): one winner, renewal, takeover after a crash within the TTL, release, growing
 * epochs, and fencing — a holder that cannot renew knows it lost the lease before anyone else can
 * take it.
 */
abstract class LeaseContract {
    static final Duration TTL = Duration.ofSeconds(2);
    /** Takeover after the TTL: a poll interval and the service's own timer resolution. */
    static final Duration MARGIN = Duration.ofMillis(1500);

    private final List<AutoCloseable> open = new ArrayList<>();
    private final ScheduledExecutorService timers = HeldLease.timers();

    /** A new client of the same lease key (one per simulated node). */
    abstract Lease newLease(Duration ttl) throws IOException;

    Lease lease() throws IOException {
        Lease lease = newLease(TTL);
        open.add(lease);
        return lease;
    }

    HeldLease keep(Lease lease, Grant grant, long sent) {
        HeldLease held = HeldLease.keep(lease, grant, sent, () -> { }, timers);
        open.add(held::stop);
        return held;
    }

    static PrimaryInfo node(String name) {
        return new PrimaryInfo(name, "http://" + name + ":20202", 0);
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
        timers.shutdownNow();
    }

    @Test
    void twoCandidatesRaceAndExactlyOneWins() throws Exception {
        for (int round = 0; round < 3; round++) {
            Lease a = lease();
            Lease b = lease();
            CountDownLatch go = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                Callable<Grant> ta = () -> { go.await(); return a.acquire(node("a")); };
                Callable<Grant> tb = () -> { go.await(); return b.acquire(node("b")); };
                Future<Grant> fa = pool.submit(ta);
                Future<Grant> fb = pool.submit(tb);
                go.countDown();
                Grant ga = fa.get(10, TimeUnit.SECONDS);
                Grant gb = fb.get(10, TimeUnit.SECONDS);
                assertThat(ga == null ^ gb == null).as("exactly one of two candidates wins (round %d)", round).isTrue();
                PrimaryInfo primary = a.primary();
                Grant winner = ga != null ? ga : gb;
                assertThat(primary.hostname()).isEqualTo(ga != null ? "a" : "b");
                assertThat(primary.epoch()).isEqualTo(winner.epoch());
                (ga != null ? a : b).release(winner);
                assertThat(a.primary()).isNull();
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void theHolderRenewsAndKeepsTheLease() throws Exception {
        Lease a = lease();
        Lease b = lease();
        long sent = System.nanoTime();
        Grant grant = a.acquire(node("a"));
        assertThat(grant).isNotNull();
        HeldLease held = keep(a, grant, sent);
        Thread.sleep(TTL.multipliedBy(2).toMillis());
        assertThat(held.isValid()).isTrue();
        assertThat(b.acquire(node("b"))).isNull();
        assertThat(b.primary().hostname()).isEqualTo("a");
        assertThat(b.primary().epoch()).isEqualTo(grant.epoch());
    }

    @Test
    void afterTheHolderDiesAnotherCandidateTakesOverWithinTheTtlAndALargerEpoch() throws Exception {
        Lease a = lease();
        Lease b = lease();
        Grant first = a.acquire(node("a"));
        HeldLease held = keep(a, first, System.nanoTime());
        Thread.sleep(500);
        held.stop(); // a crash: no more renewals, no release
        long died = System.nanoTime();
        Grant second = null;
        while (second == null && System.nanoTime() - died < TTL.plus(MARGIN).toNanos()) {
            second = b.acquire(node("b"));
            if (second == null) {
                Thread.sleep(100);
            }
        }
        long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - died);
        assertThat(second).as("b took over within TTL + margin (%d ms)", took).isNotNull();
        assertThat(second.epoch()).isGreaterThan(first.epoch());
        assertThat(a.renew(first)).as("the dead holder's lease is gone").isFalse();
        assertThat(a.primary().hostname()).isEqualTo("b");
    }

    @Test
    void aReleasedLeaseCanBeTakenAtOnce() throws Exception {
        Lease a = lease();
        Lease b = lease();
        Grant first = a.acquire(node("a"));
        HeldLease held = keep(a, first, System.nanoTime());
        held.close();
        long start = System.nanoTime();
        assertThat(held.isValid()).isFalse();
        Grant second = b.acquire(node("b"));
        assertThat(second).isNotNull();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(1000);
    }

    /**
     * A handoff moves the lease to the target in one step: the old grant is void at once, the new
     * one names the target with a larger epoch, the target keeps it alive, nobody else can take it.
     */
    @Test
    void aHandoffMovesTheLeaseToTheTargetWithALargerEpoch() throws Exception {
        Lease a = lease();
        Lease b = lease();
        Lease c = lease();
        Grant first = a.acquire(node("a"));
        HeldLease heldByA = keep(a, first, System.nanoTime());
        heldByA.stop();
        long sent = System.nanoTime();
        Grant moved = a.handOff(first, node("b"));
        assertThat(moved).isNotNull();
        assertThat(moved.epoch()).isGreaterThan(first.epoch());
        assertThat(a.renew(first)).as("the old holder's grant is void").isFalse();
        HeldLease heldByB = keep(b, moved, sent);
        assertThat(c.primary().hostname()).isEqualTo("b");
        assertThat(c.primary().epoch()).isEqualTo(moved.epoch());
        Thread.sleep(TTL.multipliedBy(2).toMillis());
        assertThat(heldByB.isValid()).as("the target keeps the moved lease alive").isTrue();
        assertThat(c.acquire(node("c"))).isNull();
        assertThat(a.handOff(first, node("c"))).as("a void grant cannot be handed off again").isNull();
        assertThat(c.primary().hostname()).isEqualTo("b");
    }

    /**
     * A holder that stops renewing (paused, or cut off from the service) must stop acting as
     * primary before its lease can expire for others: its {@code isValid()} turns false, and its
     * loss is reported, strictly before another candidate's acquire succeeds.
     */
    @Test
    void aHolderThatCannotRenewKnowsItLostTheLeaseBeforeAnyoneElseCanTakeIt() throws Exception {
        PausableLease a = new PausableLease(lease());
        Lease b = lease();
        AtomicLong lostAt = new AtomicLong();
        long sent = System.nanoTime();
        Grant grant = a.acquire(node("a"));
        HeldLease held = HeldLease.keep(a, grant, sent, () -> lostAt.set(System.nanoTime()), timers);
        open.add(held::stop);
        Thread.sleep(1000);
        a.pause();
        long pausedAt = System.nanoTime();
        long invalidAt = 0;
        long acquiredAt = 0;
        while (acquiredAt == 0 && System.nanoTime() - pausedAt < TTL.plus(MARGIN).multipliedBy(2).toNanos()) {
            if (invalidAt == 0 && !held.isValid()) {
                invalidAt = System.nanoTime();
            }
            if (b.acquire(node("b")) != null) {
                acquiredAt = System.nanoTime();
            }
            Thread.sleep(20);
        }
        assertThat(acquiredAt).as("b acquired after a stopped renewing").isNotZero();
        assertThat(invalidAt).as("a saw its lease invalid").isNotZero();
        assertThat(lostAt.get()).as("a reported the loss").isNotZero();
        assertThat(invalidAt).as("a fenced itself before b acquired").isLessThan(acquiredAt);
        assertThat(lostAt.get()).as("a reported the loss before b acquired").isLessThan(acquiredAt);
        System.out.printf("fencing: invalid %d ms and b acquired %d ms after a's renewals stopped%n",
                TimeUnit.NANOSECONDS.toMillis(invalidAt - pausedAt), TimeUnit.NANOSECONDS.toMillis(acquiredAt - pausedAt));
    }

    /** A lease whose renewals fail on demand, as if the holder were cut off from the service. */
    static final class PausableLease implements Lease {
        private final Lease lease;
        private volatile boolean paused;

        PausableLease(Lease lease) {
            this.lease = lease;
        }

        void pause() {
            paused = true;
        }

        @Override
        public String type() {
            return lease.type();
        }

        @Override
        public Duration ttl() {
            return lease.ttl();
        }

        @Override
        public Grant acquire(PrimaryInfo self) throws IOException {
            return lease.acquire(self);
        }

        @Override
        public boolean renew(Grant grant) throws IOException {
            if (paused) {
                throw new IOException("paused");
            }
            return lease.renew(grant);
        }

        @Override
        public Grant handOff(Grant held, PrimaryInfo target) throws IOException {
            return lease.handOff(held, target);
        }

        @Override
        public void release(Grant grant) throws IOException {
            lease.release(grant);
        }

        @Override
        public PrimaryInfo primary() throws IOException {
            return lease.primary();
        }

        @Override
        public void close() {
            lease.close();
        }
    }
}
