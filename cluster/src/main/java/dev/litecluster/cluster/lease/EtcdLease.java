package dev.litecluster.cluster.lease;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.lease.LeaseGrantResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The primary lease in etcd v3: an etcd lease with the TTL, and the primary key written in a
 * transaction only if it does not exist (create revision 0), attached to that lease, so it
 * disappears when the lease is not kept alive. The epoch is the revision of that write: etcd's
 * revisions only grow, so every later holder fences with a larger one.
 */
public final class EtcdLease implements Lease {
    private final Client client;
    private final ByteSequence key;
    private final Duration ttl;
    /** A renewal may take at most a third of the TTL: one that hangs must not outlive the lease. */
    private final long renewTimeoutMillis;
    /** Anything else (the first request also opens the connection). */
    private final long timeoutMillis;
    /** A lease granted ahead of a handoff. */
    private volatile Spare spare;

    private record Spare(LeaseGrantResponse granted, long grantedAt) {
    }

    public EtcdLease(List<String> endpoints, String key, Duration ttl) {
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("lease.etcd.endpoints is empty");
        }
        this.client = Client.builder().endpoints(endpoints.toArray(String[]::new))
                .connectTimeout(Duration.ofSeconds(2)).build();
        this.key = ByteSequence.from(key, StandardCharsets.UTF_8);
        this.ttl = ttl;
        this.renewTimeoutMillis = Math.max(200, ttl.toMillis() / 3);
        this.timeoutMillis = Math.max(5_000, ttl.toMillis());
    }

    @Override
    public String type() {
        return "etcd";
    }

    @Override
    public Duration ttl() {
        return ttl;
    }

    @Override
    public Grant acquire(PrimaryInfo self) throws IOException {
        if (primary() != null) {
            return null; // the common case costs no lease grant
        }
        return putIf(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(0)), self,
                await(client.getLeaseClient().grant(Math.max(1, ttl.toSeconds()))));
    }

    /**
     * Grants the lease a handoff will put the key on (it expires by itself if no handoff follows),
     * and runs a never-applied transaction of exactly the handoff's (the target's description as the
     * value): the first one of a process (class loading, gRPC call setup, the JSON of the target's
     * description) took 10–40 ms, which would otherwise fall inside the freeze.
     */
    @Override
    public void prepareHandOff(PrimaryInfo target) throws IOException {
        LeaseGrantResponse granted = await(client.getLeaseClient().grant(Math.max(1, ttl.toSeconds())));
        spare = new Spare(granted, System.nanoTime());
        // No key ever has revision -1 (an absent one compares as 0): the put is never applied.
        await(client.getKVClient().txn()
                .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(-1)))
                .Then(Op.put(key, ByteSequence.from(target.toJson()), PutOption.builder().withLeaseId(granted.getID()).build()))
                .Else()
                .commit());
    }

    /** Atomically moves the key from the held lease (its epoch is the key's mod revision) to a new one for the target. */
    @Override
    public Grant handOff(Grant held, PrimaryInfo target) throws IOException {
        Spare prepared = spare;
        spare = null;
        // A prepared lease is used while most of its TTL is left: the target counts its validity from
        // before the grant anyway, so an older one would only shorten the target's first term.
        LeaseGrantResponse granted = prepared != null && System.nanoTime() - prepared.grantedAt() < ttl.toNanos() / 4
                ? prepared.granted() : await(client.getLeaseClient().grant(Math.max(1, ttl.toSeconds())));
        Grant moved = putIf(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(held.epoch())), target, granted);
        if (moved != null) {
            // The key is no longer attached to the old lease: it is revoked in the background (even making
            // the call took 3-7 ms the first time in a process, inside the handoff's write freeze).
            long old = Long.parseUnsignedLong(held.id(), 16);
            Thread.ofPlatform().daemon().name("etcd-revoke").start(() -> revokeQuietly(old));
        }
        return moved;
    }

    /** Writes {@code primary} as the key's value on lease {@code granted} if {@code condition} holds; null if it did not. */
    private Grant putIf(Cmp condition, PrimaryInfo primary, LeaseGrantResponse granted) throws IOException {
        long leaseId = granted.getID();
        TxnResponse txn = await(client.getKVClient().txn()
                .If(condition)
                .Then(Op.put(key, ByteSequence.from(primary.toJson()), PutOption.builder().withLeaseId(leaseId).build()))
                .Else()
                .commit());
        if (!txn.isSucceeded()) {
            revokeQuietly(leaseId);
            return null;
        }
        return new Grant(Long.toHexString(leaseId), txn.getHeader().getRevision(), Duration.ofSeconds(granted.getTTL()));
    }

    @Override
    public boolean renew(Grant grant) throws IOException {
        long leaseId = Long.parseUnsignedLong(grant.id(), 16);
        try {
            if (await(client.getLeaseClient().keepAliveOnce(leaseId), renewTimeoutMillis).getTTL() <= 0) {
                return false;
            }
        } catch (IOException e) {
            if (e.getCause() instanceof EtcdException etcd && etcd.getErrorCode() == ErrorCode.NOT_FOUND) {
                return false;
            }
            throw e;
        }
        KeyValue current = current(renewTimeoutMillis);
        return current != null && current.getLease() == leaseId && current.getModRevision() == grant.epoch();
    }

    @Override
    public void release(Grant grant) throws IOException {
        long leaseId = Long.parseUnsignedLong(grant.id(), 16);
        // Delete the key only if it is still ours, then drop the lease (which would delete it anyway).
        await(client.getKVClient().txn()
                .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(grant.epoch())))
                .Then(Op.delete(key, io.etcd.jetcd.options.DeleteOption.DEFAULT))
                .Else()
                .commit());
        revokeQuietly(leaseId);
    }

    @Override
    public PrimaryInfo primary() throws IOException {
        KeyValue current = current(timeoutMillis);
        return current == null ? null : PrimaryInfo.fromJson(current.getValue().getBytes()).withEpoch(current.getModRevision());
    }

    private KeyValue current(long timeoutMillis) throws IOException {
        GetResponse response = await(client.getKVClient().get(key, GetOption.DEFAULT), timeoutMillis);
        return response.getKvs().isEmpty() ? null : response.getKvs().getFirst();
    }

    private void revokeQuietly(long leaseId) {
        try {
            await(client.getLeaseClient().revoke(leaseId));
        } catch (IOException e) {
            // it expires by itself
        }
    }

    private <T> T await(CompletableFuture<T> future) throws IOException {
        return await(future, timeoutMillis);
    }

    private <T> T await(CompletableFuture<T> future, long timeoutMillis) throws IOException {
        try {
            return future.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw new IOException("etcd: " + (cause.getMessage() == null ? cause.toString() : cause.getMessage()), cause);
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new IOException("etcd: no answer within " + timeoutMillis + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("etcd: interrupted", e);
        }
    }

    @Override
    public void close() {
        client.close();
    }
}
