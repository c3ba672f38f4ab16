package dev.litecluster.fuse;

/**
 * The request being served: its id, target node and the caller's credentials. One instance is
 * reused per reader thread, so a handler must not keep it after returning.
 *
 * <p>{@link #pid()} is the caller's <em>thread</em> id (the process is {@code Tgid} in
 * {@code /proc/<pid>/status}); uid, gid and pid are 0 on kernel-generated requests (RELEASE,
 * FORGET, page-cache writeback of mmapped pages).
 */
public final class Request {
    private long unique;
    private int opcode;
    private long nodeid;
    private int uid;
    private int gid;
    private int pid;
    /** Set by the reader that receives a FUSE_INTERRUPT for this request's unique id. */
    private volatile long interruptedUnique;

    void reset(long unique, int opcode, long nodeid, int uid, int gid, int pid) {
        this.unique = unique;
        this.opcode = opcode;
        this.nodeid = nodeid;
        this.uid = uid;
        this.gid = gid;
        this.pid = pid;
    }

    public long unique() {
        return unique;
    }

    public int opcode() {
        return opcode;
    }

    public long nodeid() {
        return nodeid;
    }

    public int uid() {
        return uid;
    }

    public int gid() {
        return gid;
    }

    public int pid() {
        return pid;
    }

    /** True once the caller was signalled; a long-running handler may then answer {@code -EINTR}. */
    public boolean isInterrupted() {
        return interruptedUnique == unique;
    }

    void interrupt(long targetUnique) {
        interruptedUnique = targetUnique;
    }

    @Override
    public String toString() {
        return Opcode.name(opcode) + "#" + unique + " node=" + nodeid + " pid=" + pid + " uid=" + uid;
    }
}
