package dev.litecluster.cluster.lease;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The lease contract against a real 3-member etcd cluster on loopback. */
class EtcdLeaseTest extends LeaseContract {
    @TempDir
    static Path root;
    static EtcdCluster etcd;
    /** One key per test class run; each test uses its own key below it. */
    private final String key = "/litecluster-test/" + UUID.randomUUID() + "/primary";

    @BeforeAll
    static void startEtcd() throws Exception {
        assumeTrue(EtcdCluster.available(), "etcd is not installed (scripts/setup installs etcd-server)");
        etcd = EtcdCluster.start(root, 3);
    }

    @AfterAll
    static void stopEtcd() {
        if (etcd != null) {
            etcd.close();
        }
    }

    @Override
    Lease newLease(Duration ttl) {
        return new EtcdLease(etcd.endpoints(), key, ttl);
    }
}
