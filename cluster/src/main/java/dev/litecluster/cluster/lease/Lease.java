package dev.litecluster.cluster.lease;

import java.io.IOException;
import java.time.Duration;

/**
 * The primary lease in a coordination service (DESIGN.md decision 11): at most one node holds it,
 * for a TTL it must keep renewing. Implementations only talk to their service; renewing early
 * and giving up before expiry is {@link HeldLease}'s job, the same for all of them.
 */
public interface Lease extends AutoCloseable {

    /** {@code static}, {@code etcd} or {@code consul} (for logs and status). */
    String type();

    /** The TTL asked of the service. */
    Duration ttl();

    /**
     * Takes the lease for {@code self} if no one holds it, atomically with writing {@code self} as
     * the primary; returns null when another node holds it.
     *
     * @throws IOException the service cannot be reached or refused the request
     */
    Grant acquire(PrimaryInfo self) throws IOException;

    /**
     * Renews the lease once. Returns false when it is gone (expired, revoked, or the key now names
     * another holder): the node is no longer primary.
     *
     * @throws IOException the service cannot be reached (the lease may still be held)
     */
    boolean renew(Grant grant) throws IOException;

    /**
     * Moves the lease from this node, which holds {@code held}, to {@code target} (a handoff):
     * afterwards {@code held} is void and the returned grant — a later epoch, naming {@code target}
     * as the primary — must be kept alive by the target ({@link HeldLease#adopt}); if it is not, it
     * expires after the TTL like any lease. Returns null when {@code held} was no longer the lease.
     *
     * @throws IOException the service cannot be reached, or this kind of lease cannot move
     */
    Grant handOff(Grant held, PrimaryInfo target) throws IOException;

    /**
     * Does ahead of a handoff to {@code target} what it needs that does not touch the lease (etcd:
     * grants the lease the target will hold), so that the handoff itself, while writes are paused,
     * is one request. Best effort; a handoff works without it.
     */
    default void prepareHandOff(PrimaryInfo target) throws IOException {
    }

    /** Gives the lease up so another node can take it at once (clean shutdown). Best effort. */
    void release(Grant grant) throws IOException;

    /** The current primary, or null when no one holds the lease. */
    PrimaryInfo primary() throws IOException;

    @Override
    void close();
}
