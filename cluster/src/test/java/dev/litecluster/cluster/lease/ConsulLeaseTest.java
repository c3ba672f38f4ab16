package dev.litecluster.cluster.lease;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import java.io.IOException;
import java.time.Duration;

/**
 * The lease contract for the Consul client. No Consul server can be installed here, so it runs
 * against {@link ConsulFake}, an in-test server following Consul's documented session and KV API;
 * the client code path is the one used against real Consul.
 */
class ConsulLeaseTest extends LeaseContract {
    private ConsulFake consul;

    @BeforeEach
    void startConsul() throws IOException {
        consul = new ConsulFake();
    }

    @AfterEach
    void stopConsul() {
        consul.close();
    }

    @Override
    Lease newLease(Duration ttl) throws IOException {
        // The URL path is a key prefix, as in LiteFS; lock delay 0 here (its effect is tested with the fake's rules).
        return new ConsulLease(consul.url() + "/litecluster", "primary", ttl, Duration.ZERO);
    }
}
