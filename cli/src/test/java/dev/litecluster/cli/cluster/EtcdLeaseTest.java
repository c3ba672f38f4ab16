package dev.litecluster.cli.cluster;

import dev.litecluster.cluster.lease.EtcdCluster;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Tests of nodes on a real etcd lease ({@link LeaseCluster}): skipped where etcd is not installed. */
abstract class EtcdLeaseTest {
    @TempDir
    Path root;

    @BeforeAll
    static void needsEtcd() {
        assumeTrue(EtcdCluster.available(), "etcd is not installed (scripts/setup installs etcd-server)");
    }
}
