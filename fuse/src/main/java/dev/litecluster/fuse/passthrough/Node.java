package dev.litecluster.fuse.passthrough;

import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * A file or directory the kernel knows by nodeid: where it lives in the backing directory and
 * how many lookups the kernel holds on it. Nodeids are never reused.
 */
public final class Node {
    private final long id;
    private final int type;
    private final Supplier<byte[]> virtualContent;
    private volatile long parent;
    private volatile String name;
    private volatile String backing;
    private volatile boolean detached;
    /** Guarded by the {@link NodeTable}. */
    long lookups;

    Node(long id, long parent, String name, String backing, int type, Supplier<byte[]> virtualContent) {
        this.id = id;
        this.parent = parent;
        this.name = name;
        this.backing = backing;
        this.type = type;
        this.virtualContent = virtualContent;
    }

    public long id() {
        return id;
    }

    /** The nodeid of the directory holding it (0 for the root). */
    public long parent() {
        return parent;
    }

    /** Its name in the mount ("" for the root). */
    public String name() {
        return name;
    }

    /** The path of the backing file or directory (null for a virtual file). */
    public String backing() {
        return backing;
    }

    public Path backingPath() {
        return backing == null ? null : Path.of(backing);
    }

    /** The S_IFMT bits of its mode; a node never changes type. */
    public int type() {
        return type;
    }

    public boolean isDirectory() {
        return type == 0040000;
    }

    /** True for a read-only file whose content comes from a supplier instead of the backing directory. */
    public boolean isVirtual() {
        return virtualContent != null;
    }

    Supplier<byte[]> virtualContent() {
        return virtualContent;
    }

    /** True once unlinked or replaced: it is still usable through open handles, but no longer by name. */
    public boolean isDetached() {
        return detached;
    }

    void moveTo(long parent, String name, String backing) {
        this.parent = parent;
        this.name = name;
        this.backing = backing;
    }

    void detach() {
        detached = true;
    }

    @Override
    public String toString() {
        return "node " + id + " (" + name + ")";
    }
}
