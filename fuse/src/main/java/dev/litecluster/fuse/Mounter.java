package dev.litecluster.fuse;

/** How the filesystem gets mounted. */
public enum Mounter {
    /** {@link #SYSCALL} when running as root, else {@link #FUSERMOUNT}. */
    AUTO,
    /** mount(2) directly; needs CAP_SYS_ADMIN. */
    SYSCALL,
    /** The setuid helper {@code fusermount3}, which passes the device descriptor back over a unix socket. */
    FUSERMOUNT
}
