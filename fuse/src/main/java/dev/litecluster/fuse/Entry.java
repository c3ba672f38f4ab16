package dev.litecluster.fuse;

/**
 * A directory entry reply ({@code fuse_entry_out}): the node a name resolves to, with its attributes.
 * Every successful entry reply with a nonzero nodeid adds one to that node's lookup count, which
 * the kernel later returns through {@link FuseFileSystem#forget}. A LOOKUP answered with nodeid 0
 * and a positive {@link #entryTimeoutNanos} is a cached negative entry.
 */
public final class Entry {
    public long nodeid;
    public long generation;
    /** How long the kernel may cache the name → node binding (entry_valid), in nanoseconds. */
    public long entryTimeoutNanos;
    public final Attributes attributes = new Attributes();

    public void clear() {
        nodeid = generation = entryTimeoutNanos = 0;
        attributes.clear();
    }
}
