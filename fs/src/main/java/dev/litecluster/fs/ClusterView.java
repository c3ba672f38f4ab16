package dev.litecluster.fs;

/** What the filesystem needs to know about the cluster: this node's role and, on a replica, its primary. */
public interface ClusterView {

    /** A node that is primary on a static lease, alone or with replicas. */
    ClusterView PRIMARY = new ClusterView() {
        @Override
        public boolean isPrimary() {
            return true;
        }

        @Override
        public String primaryHostname() {
            return null;
        }

        @Override
        public long lagMillis() {
            return 0;
        }
    };

    /** True when this node takes writes (and captures them). */
    boolean isPrimary();

    /** The primary's hostname while a replica is connected to it, else null ({@code .primary}). */
    String primaryHostname();

    /** Milliseconds since the last record or heartbeat from the primary ({@code .lag}). */
    long lagMillis();
}
