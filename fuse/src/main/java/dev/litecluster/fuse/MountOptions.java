package dev.litecluster.fuse;

import java.time.Duration;

/**
 * How to mount and serve a filesystem.
 *
 * @param readers        reader threads, each on its own cloned /dev/fuse descriptor
 * @param mounter        mount(2) or fusermount3
 * @param allowOther     let every user use the mount (fusermount3 needs user_allow_other in /etc/fuse.conf)
 * @param name           shown as source and subtype in /proc/mounts ({@code fuse.<name>})
 * @param maxWrite       largest WRITE payload to accept (the kernel caps it at 256 pages)
 * @param initTimeout    how long mounting waits for the INIT handshake
 */
public record MountOptions(int readers, Mounter mounter, boolean allowOther, String name, int maxWrite,
                           Duration initTimeout) {
    public static MountOptions defaults() {
        return new MountOptions(8, Mounter.AUTO, true, "litecluster", 1 << 20, Duration.ofSeconds(10));
    }

    public MountOptions withReaders(int readers) {
        return new MountOptions(readers, mounter, allowOther, name, maxWrite, initTimeout);
    }

    public MountOptions withMounter(Mounter mounter) {
        return new MountOptions(readers, mounter, allowOther, name, maxWrite, initTimeout);
    }

    public MountOptions withAllowOther(boolean allowOther) {
        return new MountOptions(readers, mounter, allowOther, name, maxWrite, initTimeout);
    }

    public MountOptions withName(String name) {
        return new MountOptions(readers, mounter, allowOther, name, maxWrite, initTimeout);
    }
}
