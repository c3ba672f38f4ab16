package dev.litecluster.cli;

import dev.litecluster.cluster.ApiException;
import dev.litecluster.cluster.NodeApi;
import dev.litecluster.cluster.PeerStatus;
import dev.litecluster.cluster.ReplicationClient;
import dev.litecluster.cluster.ReplicationServer;
import dev.litecluster.cluster.lease.Grant;
import dev.litecluster.cluster.lease.HeldLease;
import dev.litecluster.cluster.lease.Lease;
import dev.litecluster.cluster.lease.PrimaryInfo;
import dev.litecluster.fs.ClusterView;
import dev.litecluster.store.Database;
import org.eclipse.jetty.http.HttpStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.LongFunction;

/**
 * Moves this node between the primary and replica roles as the lease says (DESIGN.md decision 11).
 * Becoming primary: stop following, take the lease, serve {@code /stream} under the lease's epoch;
 * app writes are captured from then on. Losing the lease: app writes fail at once (the
 * {@link ClusterView} asks the held lease on every write, so a paused-and-resumed process is fenced
 * before any thread has noticed), streams end, and the node follows whoever holds the lease next.
 * One thread decides; it wakes every {@link #TICK_MILLIS} or when the lease is lost.
 */
final class RoleManager implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RoleManager.class);
    static final long TICK_MILLIS = 100;
    private static final long LEARN_EVERY_NANOS = 2_000_000_000L;
    /** How many catch-up waits a candidate leaves a free lease to a reachable one with newer data. */
    private static final int DEFER_WAITS = 3;

    private final Lease lease;
    private final boolean candidate;
    private final PrimaryInfo self;
    private final LongFunction<ReplicationServer> servers;
    private final Function<PrimaryInfo, ReplicationClient> clients;
    private final long catchUpWaitNanos;
    private final Members members;
    private final Supplier<Map<String, Long>> positions;
    /** When the member list was last refreshed from the primary. */
    private volatile long learnedAt;
    private List<String> deferredTo = List.of();
    private final Object wake = new Object();
    private final Thread thread;
    private final ScheduledExecutorService leaseTimers = HeldLease.timers();
    private final Runnable onLeaseLost = this::wakeUp;
    private volatile HeldLease held;
    private volatile ReplicationServer server;
    /** The server of a role just handed off: its streams carry the last transactions to the target. */
    private ReplicationServer draining;
    private volatile ReplicationClient client;
    private volatile PrimaryInfo followed;
    private volatile boolean closed;
    /** The newest epoch seen: never follow a primary of an older one. */
    private long newestEpoch;
    /** When this node was last primary or connected to one (0: not since it started). */
    private long inSyncAt;
    /** When this node first saw no primary (0: there is one). Written and read only by the thread that ticks. */
    private long noPrimarySince;
    private String lastProblem;
    private boolean waitLogged;

    /**
     * @param servers a replication server for the given epoch (not yet serving)
     * @param clients a replication client following the given primary (not yet started)
     * @param catchUpWait how long a candidate that has not been in sync with a primary lately waits
     *                    before taking a free lease, so that a node that was in sync wins instead; and
     *                    how long any candidate leaves a free lease to reachable candidates with newer data
     * @param members     the other nodes, to ask what they have
     * @param positions   this node's TXID per database
     */
    RoleManager(Lease lease, boolean candidate, PrimaryInfo self, LongFunction<ReplicationServer> servers,
                Function<PrimaryInfo, ReplicationClient> clients, Duration catchUpWait, Members members,
                Supplier<Map<String, Long>> positions) {
        this.lease = lease;
        this.candidate = candidate;
        this.self = self;
        this.servers = servers;
        this.clients = clients;
        this.catchUpWaitNanos = catchUpWait.toNanos();
        this.members = members;
        this.positions = positions;
        this.thread = new Thread(this::run, "role-manager");
        this.thread.setDaemon(true);
    }

    /** Routes {@code /stream}, {@code /ack} and {@code /checksums} to the replication server while this node is primary. */
    RoleManager register(NodeApi api) {
        api.route("POST", "/stream", (req, res, cb) -> serving().stream(req, res, cb))
                .route("POST", "/ack", (req, res, cb) -> serving().ack(req, res, cb))
                .route("GET", "/checksums", (req, res, cb) -> serving().checksums(req, res, cb));
        return this;
    }

    private ReplicationServer serving() throws ApiException {
        ReplicationServer current = server;
        if (current == null || !isPrimary()) {
            PrimaryInfo primary = followed;
            throw new ApiException(HttpStatus.CONFLICT_409, "this node is not the primary"
                    + (primary == null ? "" : "; the primary is " + primary.hostname() + " at " + primary.advertiseUrl()));
        }
        return current;
    }

    /** Takes the first role synchronously (a static primary is primary when start returns), then keeps watching. */
    RoleManager start() {
        tick();
        thread.start();
        return this;
    }

    boolean isPrimary() {
        HeldLease h = held;
        return h != null && h.isValid();
    }

    /** The replication server while primary, else null. */
    ReplicationServer server() {
        return isPrimary() ? server : null;
    }

    /** The replication client while a replica, else null. */
    ReplicationClient client() {
        return client;
    }

    /** The lease epoch this node holds, or 0. */
    long epoch() {
        HeldLease h = held;
        return h == null ? 0 : h.epoch();
    }

    /** The oldest TXID replicas still need of {@code database} (everything, while not primary). */
    long neededFrom(Database database, long forgetAfterMillis) {
        ReplicationServer current = server();
        return current == null ? Long.MAX_VALUE : current.neededFrom(database, forgetAfterMillis);
    }

    /** The filesystem's view: primary exactly while the lease is held and valid. */
    ClusterView view() {
        return new ClusterView() {
            @Override
            public boolean isPrimary() {
                return RoleManager.this.isPrimary();
            }

            @Override
            public String primaryHostname() {
                ReplicationClient c = client;
                return c == null ? null : c.primaryHostname();
            }

            @Override
            public long lagMillis() {
                ReplicationClient c = client;
                return c == null ? (RoleManager.this.isPrimary() ? 0 : -1) : c.lagMillis();
            }
        };
    }

    private void run() {
        while (!closed) {
            synchronized (wake) {
                try {
                    wake.wait(TICK_MILLIS);
                } catch (InterruptedException e) {
                    return;
                }
            }
            if (!closed) {
                tick();
                learnMembers();
            }
        }
    }

    /**
     * Every {@link #LEARN_EVERY_NANOS}, asks the followed primary which nodes it knows — outside the
     * lock, so a slow answer never holds up a handoff's {@link #adopt}.
     */
    private void learnMembers() {
        PrimaryInfo primary = followed;
        ReplicationClient connected = client;
        long now = System.nanoTime();
        if (held == null && primary != null && connected != null && connected.primaryHostname() != null
                && now - learnedAt >= LEARN_EVERY_NANOS) {
            learnedAt = now;
            members.learnFrom(primary.advertiseUrl());
        }
    }

    /**
     * One decision. The lease service, and the other members when there is no primary, are asked
     * before this object's lock is taken: a slow answer (the service busy committing a handoff's
     * transaction, a dead member) must not hold up {@link #adopt}.
     */
    private void tick() {
        if (closed) {
            return;
        }
        boolean asked = held == null;
        PrimaryInfo primary = null;
        long now;
        List<String> fresher = List.of();
        try {
            if (asked) {
                primary = lease.primary();
            }
            now = System.nanoTime();
            if (asked && primary == null && candidate) {
                fresher = fresherCandidates(now);
            }
        } catch (IOException | RuntimeException e) {
            problem(e);
            return;
        }
        decide(asked, primary, now, fresher);
    }

    /**
     * The reachable candidates with newer data, for {@link #caughtUp}; none are asked once this node
     * has left them the lease for {@link #DEFER_WAITS} catch-up waits, counted from when it first saw
     * no primary ({@code now} if that is this tick) as {@link #decide} counts it.
     */
    private List<String> fresherCandidates(long now) {
        long since = noPrimarySince != 0 ? noPrimarySince : now;
        boolean stopDeferring = now - since >= DEFER_WAITS * catchUpWaitNanos;
        return stopDeferring ? List.of() : members.fresherCandidates(positions.get());
    }

    /**
     * Acts on the lease's {@code primary}, read just before {@code now} unless this node held the
     * lease then ({@code asked} false); {@code fresher}: the candidates with newer data, asked since.
     */
    private synchronized void decide(boolean asked, PrimaryInfo primary, long now, List<String> fresher) {
        if (closed) {
            return;
        }
        try {
            if (held != null) {
                inSyncAt = now;
                if (!held.isValid()) {
                    demote();
                } else if (now - learnedAt >= LEARN_EVERY_NANOS && server != null) {
                    members.learn(server.peers().stream().map(PeerStatus::url).toList());
                    learnedAt = now;
                }
                return;
            }
            if (!asked) {
                return; // it stopped being primary meanwhile: the next tick asks who is
            }
            ReplicationClient connected = client;
            if (connected != null && connected.primaryHostname() != null) {
                inSyncAt = now;
            }
            noPrimarySince = primary != null ? 0 : noPrimarySince != 0 ? noPrimarySince : now;
            if (primary == null) {
                if (candidate && caughtUp(now, fresher)) {
                    promote();
                }
            } else if (!self.sameNode(primary) && primary.epoch() >= newestEpoch
                    && (followed == null || !followed.equals(primary) || client == null)) {
                follow(primary);
            }
            if (lastProblem != null) {
                LOG.info("{} lease service reachable again", lease.type());
                lastProblem = null;
            }
        } catch (IOException | RuntimeException e) {
            problem(e);
        }
    }

    private synchronized void problem(Exception e) {
        String problem = e.getMessage() == null ? e.toString() : e.getMessage();
        if (!problem.equals(lastProblem)) {
            LOG.warn("lease: {}", problem);
            lastProblem = problem;
        }
    }

    /**
     * Whether this candidate may take a free lease now: no reachable candidate has newer data (for up
     * to three catch-up waits), and it was primary or connected to the primary recently (so it has
     * what the others have, up to the replication lag) or no node has taken the lease for the
     * catch-up wait (a fresher node is not coming: what there is must do). A node that starts with old data therefore does not win
     * against one that has more — the Fly autostop hazard, where a stale machine took the lease and
     * newer data was discarded. {@code fresher}: those candidates, asked by {@link #fresherCandidates}.
     */
    private boolean caughtUp(long now, List<String> fresher) {
        boolean waited = now - noPrimarySince >= catchUpWaitNanos;
        // A fresher candidate that can be reached will take the lease when its own wait ends; only if it
        // has not after several waits (it may be cut off from the lease service) does this node go ahead:
        // fresherCandidates asks none then.
        if (!fresher.isEmpty()) {
            if (!fresher.equals(deferredTo)) {
                LOG.info("no primary; leaving the lease to candidates with newer data for up to {} ms: {}",
                        TimeUnit.NANOSECONDS.toMillis(DEFER_WAITS * catchUpWaitNanos), String.join(", ", fresher));
                deferredTo = fresher;
            }
            return false;
        }
        boolean recentlyInSync = inSyncAt != 0 && now - inSyncAt <= catchUpWaitNanos + 2 * lease.ttl().toNanos();
        if (recentlyInSync || waited) {
            waitLogged = false;
            deferredTo = List.of();
            return true;
        }
        if (!waitLogged) {
            LOG.info("no primary; waiting up to {} ms for a candidate that was in sync before taking the lease",
                    TimeUnit.NANOSECONDS.toMillis(catchUpWaitNanos));
            waitLogged = true;
        }
        return false;
    }

    private void promote() throws IOException {
        stopFollowing();
        long sent = System.nanoTime();
        Grant grant = lease.acquire(self);
        if (grant == null) {
            return; // another candidate was faster: follow it on the next tick
        }
        serve(grant, HeldLease.keep(lease, grant, sent, onLeaseLost, leaseTimers));
        LOG.info("became primary ({} lease, epoch {}, ttl {} s)", lease.type(), grant.epoch(), grant.ttl().toSeconds());
    }

    /** Takes the primary role for {@code grant}, kept alive by {@code kept} (under this manager's lock). */
    private void serve(Grant grant, HeldLease kept) {
        newestEpoch = Math.max(newestEpoch, grant.epoch());
        server = servers.apply(grant.epoch());
        held = kept;
    }

    private void demote() {
        HeldLease lost = stopServing();
        LOG.warn("no longer primary (epoch {}): app writes are refused until this node follows the new primary", lost.epoch());
    }

    /** Stops acting as primary at once (app writes are refused from here on); returns the lease it held. */
    private HeldLease stopServing() {
        HeldLease was = held;
        held = null;
        was.stop();
        closeServer();
        return was;
    }

    private void closeServer() {
        if (server != null) {
            server.close();
            server = null;
        }
    }

    /** The primary this node follows, or null. */
    PrimaryInfo followed() {
        return followed;
    }

    boolean candidate() {
        return candidate;
    }

    /** This node as a primary would be described in the lease. */
    PrimaryInfo self() {
        return self;
    }

    /** See {@link Lease#prepareHandOff}. */
    void prepareHandOff(PrimaryInfo target) throws IOException {
        lease.prepareHandOff(target);
    }

    /**
     * Moves the held lease to {@code target} (a handoff; the caller has frozen writes): this node
     * stops being primary at once, without releasing, and the returned grant is for the target to
     * adopt. Streams go on until {@link #endStreams()}, so the target can receive the last
     * transactions before it takes the role.
     *
     * @throws IOException this node is not primary, the lease cannot move, or it was lost meanwhile
     */
    synchronized Grant handOff(PrimaryInfo target) throws IOException {
        HeldLease current = held;
        if (current == null || !current.isValid()) {
            throw new IOException("this node is not the primary");
        }
        Grant moved = lease.handOff(current.grant(), target);
        held = null;
        current.stop();
        draining = server;
        server = null;
        if (moved == null) {
            endStreams();
            throw new IOException("the lease was lost during the handoff");
        }
        newestEpoch = Math.max(newestEpoch, moved.epoch());
        LOG.info("handed the primary role to {} (epoch {})", target.hostname(), moved.epoch());
        return moved;
    }

    /** Ends the streams of a primary role handed off. */
    synchronized void endStreams() {
        if (draining != null) {
            draining.close();
            draining = null;
        }
    }

    /**
     * Takes back a lease handed to a target that answered that it did not take the role: moved
     * only if nobody changed it since, so this node is primary again (at a new epoch) at once
     * instead of the cluster waiting a TTL for an election.
     */
    synchronized void takeBack(Grant handedOver) throws IOException {
        long sent = System.nanoTime();
        Grant back = lease.handOff(handedOver, self);
        if (back == null) {
            throw new IOException("the lease handed over changed meanwhile");
        }
        stopFollowing();
        serve(back, HeldLease.keep(lease, back, sent, onLeaseLost, leaseTimers));
        LOG.info("took the primary role back (epoch {})", back.epoch());
    }

    /**
     * On a handoff's target, before writes freeze: builds what taking the role needs, and keeps a
     * lease for an instant, so that the first run of that code in this process (class loading,
     * lambda linkage: 4–9 ms measured) is not inside the freeze.
     */
    synchronized void prepareAdopt() {
        if (held == null) {
            servers.apply(0);
            HeldLease.keep(lease, new Grant("0", 0, lease.ttl()), System.nanoTime(), onLeaseLost, leaseTimers).stop();
        }
    }

    /**
     * Becomes primary with a lease the previous primary handed to this node.
     *
     * @param countedFrom {@link System#nanoTime()} no later than when the service started the lease's TTL
     */
    synchronized void adopt(Grant grant, long countedFrom) throws IOException {
        if (closed) {
            throw new IOException("this node is shutting down");
        }
        if (held != null) {
            throw new IOException("this node is already the primary");
        }
        if (System.nanoTime() - countedFrom > grant.ttl().toNanos() / 4) {
            // The handoff took long (a slow freeze): renew now rather than start with little validity left.
            countedFrom = System.nanoTime();
            if (!lease.renew(grant)) {
                throw new IOException("the handed-off " + lease.type() + " lease is already gone");
            }
        }
        HeldLease adopted = HeldLease.keep(lease, grant, countedFrom, onLeaseLost, leaseTimers);
        ReplicationClient old = client;
        client = null;
        followed = null;
        serve(grant, adopted);
        LOG.info("became primary by handoff ({} lease, epoch {})", lease.type(), grant.epoch());
        if (old != null) {
            // The old primary is frozen and no longer primary: nothing more can arrive. Closing waits for
            // the stream thread, which is not worth holding writes for. (A platform thread: the first
            // virtual thread of a process starts their scheduler, which took milliseconds.)
            Thread closing = new Thread(old::close, "close-old-stream");
            closing.setDaemon(true);
            closing.start();
        }
    }

    private void follow(PrimaryInfo primary) {
        stopFollowing();
        newestEpoch = Math.max(newestEpoch, primary.epoch());
        ReplicationClient next = clients.apply(primary).requireEpoch(primary.epoch());
        try {
            client = next.start();
            followed = primary;
            LOG.info("following primary {} at {} (epoch {})", primary.hostname(), primary.advertiseUrl(), primary.epoch());
        } catch (IOException e) {
            next.close();
            throw new IllegalStateException("cannot follow " + primary.advertiseUrl() + ": " + e.getMessage(), e);
        }
    }

    private void stopFollowing() {
        ReplicationClient old = client;
        client = null;
        followed = null;
        if (old != null) {
            old.close();
        }
    }

    private void wakeUp() {
        synchronized (wake) {
            wake.notifyAll();
        }
    }

    /** Stops following or serving; a held lease is released so another candidate can take it at once. */
    @Override
    public void close() {
        closed = true;
        wakeUp();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            stopFollowing();
            closeServer();
            endStreams();
            if (held != null) {
                held.close();
                held = null;
            }
            lease.close();
            members.close();
            leaseTimers.shutdownNow();
        }
    }
}
