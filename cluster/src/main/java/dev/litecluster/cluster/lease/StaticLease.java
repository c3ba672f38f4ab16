package dev.litecluster.cluster.lease;

import java.io.IOException;
import java.time.Duration;

/**
 * The embedded default: one fixed primary named in every node's config. The candidate always
 * holds the lease (it never expires); every other node follows the configured primary.
 */
public final class StaticLease implements Lease {
    /** Long enough never to run out (ten years); short enough that deadlines in nanoseconds cannot overflow. */
    static final Duration FOREVER = Duration.ofDays(3650);

    private final PrimaryInfo primary;
    private final boolean candidate;
    private volatile boolean acquired;

    /**
     * @param primary   the fixed primary (epoch ignored: a static lease has epoch 1)
     * @param candidate whether this node is that primary
     */
    public StaticLease(PrimaryInfo primary, boolean candidate) {
        this.primary = primary.withEpoch(1);
        this.candidate = candidate;
    }

    @Override
    public String type() {
        return "static";
    }

    @Override
    public Duration ttl() {
        return FOREVER;
    }

    @Override
    public Grant acquire(PrimaryInfo self) {
        acquired = candidate;
        return candidate ? new Grant("static", 1, FOREVER) : null;
    }

    @Override
    public boolean renew(Grant grant) {
        return candidate;
    }

    @Override
    public Grant handOff(Grant held, PrimaryInfo target) throws IOException {
        throw new IOException("a static lease cannot be handed off: the primary is fixed in every node's config"
                + " (use lease.type etcd or consul to move it)");
    }

    @Override
    public void release(Grant grant) {
        acquired = false;
    }

    /** The configured primary; on the candidate itself, null until it has taken the lease (so it does). */
    @Override
    public PrimaryInfo primary() {
        return candidate && !acquired ? null : primary;
    }

    @Override
    public void close() {
    }
}
