package dev.litecluster.fuse;

import dev.litecluster.fuse.sys.Errno;
import dev.litecluster.fuse.sys.LibC;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.litecluster.fuse.Wire.IN_HEADER;
import static dev.litecluster.fuse.Wire.OUT_HEADER;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/**
 * One reader thread's loop on its own (cloned) {@code /dev/fuse} descriptor: reads one request at
 * a time into an off-heap buffer, decodes it, calls the filesystem and writes the reply on the
 * same descriptor (the kernel only accepts replies on the fd a request was read from).
 */
final class RequestReader implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(RequestReader.class);
    /** dispatch() result meaning "this request gets no reply" (FORGET, NOTIFY_REPLY, handled INTERRUPT). */
    private static final int NO_REPLY = Integer.MIN_VALUE;
    private static final int EPROTO = 71;

    private final FuseSession session;
    private final FuseFileSystem fs;
    private final int fd;
    private final int maxWrite;
    /** Room for a WRITE of max_write bytes: headers plus request extensions. */
    private final int bufferSize;

    // Reused per request; handlers must not keep them.
    final Request request = new Request();
    private final Entry entry = new Entry();
    private final Attributes attributes = new Attributes();
    private final OpenResult openResult = new OpenResult();
    private final SetattrRequest setattr = new SetattrRequest();
    private final FsStats stats = new FsStats();
    private final DirectoryBuffer directory = new DirectoryBuffer();

    private MemorySegment in;
    private MemorySegment out;

    RequestReader(FuseSession session, FuseFileSystem fs, int fd, int maxWrite) {
        this.session = session;
        this.fs = fs;
        this.fd = fd;
        this.maxWrite = maxWrite;
        this.bufferSize = maxWrite + 4096 + 80;
    }

    int fd() {
        return fd;
    }

    @Override
    public void run() {
        try (Arena arena = Arena.ofConfined()) {
            in = arena.allocate(bufferSize, 4096);
            out = arena.allocate(bufferSize, 4096);
            while (true) {
                long n = LibC.read(fd, in, bufferSize);
                if (n > 0) {
                    handle();
                    continue;
                }
                int errno = (int) -n;
                if (errno == Errno.EINTR || errno == Errno.ENOENT || errno == Errno.EAGAIN) continue;
                if (errno != Errno.ENODEV && errno != Errno.ECONNABORTED) {
                    log.error("{}: reading /dev/fuse failed: {}; reader stops", session.name(), Errno.describe(errno));
                }
                break;
            }
        } catch (Throwable t) {
            log.error("{}: reader stopped unexpectedly: {}", session.name(), t.toString(), t);
        } finally {
            session.readerStopped();
        }
    }

    private void handle() {
        int opcode = in.get(JAVA_INT_UNALIGNED, 4);
        long unique = in.get(JAVA_LONG_UNALIGNED, 8);
        request.reset(unique, opcode, in.get(JAVA_LONG_UNALIGNED, 16), in.get(JAVA_INT_UNALIGNED, 24),
                in.get(JAVA_INT_UNALIGNED, 28), in.get(JAVA_INT_UNALIGNED, 32));
        int result;
        try {
            result = dispatch(opcode);
        } catch (Throwable t) {
            log.warn("{}: {} failed, answering EIO: {}", session.name(), request, t.toString());
            result = -Errno.EIO;
        }
        if (result != NO_REPLY) reply(unique, result);
        if (opcode == Opcode.INIT && result >= 0) session.initReplied();
    }

    /** Returns the reply payload length (already written at {@code out + 16}), -errno, or NO_REPLY. */
    private int dispatch(int opcode) {
        long node = request.nodeid();
        long p = IN_HEADER; // payload start
        return switch (opcode) {
            case Opcode.LOOKUP -> {
                entry.clear();
                int r = fs.lookup(request, node, in.getString(p), entry);
                if (r < 0) yield r;
                if (entry.nodeid == 0 && entry.entryTimeoutNanos == 0) yield -Errno.ENOENT;
                yield entryReply();
            }
            case Opcode.FORGET -> {
                fs.forget(node, in.get(JAVA_LONG_UNALIGNED, p));
                yield NO_REPLY;
            }
            case Opcode.BATCH_FORGET -> {
                int count = in.get(JAVA_INT_UNALIGNED, p);
                for (int i = 0; i < count; i++) {
                    long at = p + 8 + 16L * i;
                    fs.forget(in.get(JAVA_LONG_UNALIGNED, at), in.get(JAVA_LONG_UNALIGNED, at + 8));
                }
                yield NO_REPLY;
            }
            case Opcode.GETATTR -> {
                boolean withFh = (in.get(JAVA_INT_UNALIGNED, p) & 1) != 0;
                attributes.clear();
                int r = fs.getattr(request, node, withFh ? in.get(JAVA_LONG_UNALIGNED, p + 8) : FuseFileSystem.NO_FH, attributes);
                yield r < 0 ? r : attrReply();
            }
            case Opcode.SETATTR -> {
                setattr.load(in, p);
                attributes.clear();
                int r = fs.setattr(request, node, setattr, attributes);
                yield r < 0 ? r : attrReply();
            }
            case Opcode.OPEN -> {
                openResult.clear();
                int r = fs.open(request, node, in.get(JAVA_INT_UNALIGNED, p), openResult);
                if (r < 0) yield r;
                Wire.putOpenOut(out, OUT_HEADER, openResult);
                yield Wire.OPEN_OUT;
            }
            case Opcode.CREATE -> {
                entry.clear();
                openResult.clear();
                int r = fs.create(request, node, in.getString(p + 16), in.get(JAVA_INT_UNALIGNED, p + 4),
                        in.get(JAVA_INT_UNALIGNED, p), entry, openResult);
                if (r < 0) yield r;
                Wire.putEntry(out, OUT_HEADER, entry);
                Wire.putOpenOut(out, OUT_HEADER + Wire.ENTRY_OUT, openResult);
                yield Wire.ENTRY_OUT + Wire.OPEN_OUT;
            }
            case Opcode.READ -> {
                int size = Math.min(in.get(JAVA_INT_UNALIGNED, p + 16), bufferSize - OUT_HEADER);
                yield fs.read(request, node, in.get(JAVA_LONG_UNALIGNED, p), in.get(JAVA_LONG_UNALIGNED, p + 8), size,
                        out.asSlice(OUT_HEADER, size));
            }
            case Opcode.WRITE -> {
                int size = in.get(JAVA_INT_UNALIGNED, p + 16);
                int r = fs.write(request, node, in.get(JAVA_LONG_UNALIGNED, p), in.get(JAVA_LONG_UNALIGNED, p + 8),
                        in.asSlice(p + 40, size), in.get(JAVA_INT_UNALIGNED, p + 20));
                if (r < 0) yield r;
                out.set(JAVA_INT_UNALIGNED, OUT_HEADER, r);
                out.set(JAVA_INT_UNALIGNED, OUT_HEADER + 4, 0);
                yield 8;
            }
            case Opcode.FLUSH -> fs.flush(request, node, in.get(JAVA_LONG_UNALIGNED, p), in.get(JAVA_LONG_UNALIGNED, p + 16));
            case Opcode.RELEASE -> fs.release(request, node, in.get(JAVA_LONG_UNALIGNED, p), in.get(JAVA_INT_UNALIGNED, p + 8));
            case Opcode.FSYNC -> fs.fsync(request, node, in.get(JAVA_LONG_UNALIGNED, p), (in.get(JAVA_INT_UNALIGNED, p + 8) & 1) != 0);
            case Opcode.UNLINK -> fs.unlink(request, node, in.getString(p));
            case Opcode.RMDIR -> fs.rmdir(request, node, in.getString(p));
            case Opcode.RENAME -> rename(p + 8, 0);
            case Opcode.RENAME2 -> rename(p + 16, in.get(JAVA_INT_UNALIGNED, p + 8));
            case Opcode.MKDIR -> {
                entry.clear();
                int r = fs.mkdir(request, node, in.getString(p + 8), in.get(JAVA_INT_UNALIGNED, p), entry);
                yield r < 0 ? r : entryReply();
            }
            case Opcode.OPENDIR -> {
                openResult.clear();
                int r = fs.opendir(request, node, in.get(JAVA_INT_UNALIGNED, p), openResult);
                if (r < 0) yield r;
                Wire.putOpenOut(out, OUT_HEADER, openResult);
                yield Wire.OPEN_OUT;
            }
            case Opcode.READDIR, Opcode.READDIRPLUS -> {
                int size = Math.min(in.get(JAVA_INT_UNALIGNED, p + 16), bufferSize - OUT_HEADER);
                directory.reset(out, OUT_HEADER, size, opcode == Opcode.READDIRPLUS);
                int r = fs.readdir(request, node, in.get(JAVA_LONG_UNALIGNED, p), in.get(JAVA_LONG_UNALIGNED, p + 8), directory);
                yield r < 0 ? r : directory.size();
            }
            case Opcode.RELEASEDIR -> fs.releasedir(request, node, in.get(JAVA_LONG_UNALIGNED, p));
            case Opcode.FSYNCDIR -> fs.fsyncdir(request, node, in.get(JAVA_LONG_UNALIGNED, p), (in.get(JAVA_INT_UNALIGNED, p + 8) & 1) != 0);
            case Opcode.STATFS -> {
                int r = fs.statfs(request, node, stats);
                yield r < 0 ? r : statfsReply();
            }
            case Opcode.ACCESS -> fs.access(request, node, in.get(JAVA_INT_UNALIGNED, p));
            case Opcode.INTERRUPT -> session.interrupt(in.get(JAVA_LONG_UNALIGNED, p)) ? NO_REPLY : -Errno.EAGAIN;
            case Opcode.INIT -> init(p);
            case Opcode.NOTIFY_REPLY -> NO_REPLY;
            case Opcode.DESTROY -> 0;
            case Opcode.GETXATTR, Opcode.LISTXATTR, Opcode.SETXATTR, Opcode.REMOVEXATTR, Opcode.IOCTL, Opcode.STATX,
                 Opcode.LSEEK, Opcode.COPY_FILE_RANGE, Opcode.COPY_FILE_RANGE_64, Opcode.FALLOCATE -> -Errno.ENOSYS;
            default -> {
                session.reportUnsupported(opcode);
                yield -Errno.ENOSYS;
            }
        };
    }

    private int rename(long names, int flags) {
        String oldName = in.getString(names);
        long newNameAt = names + cStringLength(names) + 1;
        return fs.rename(request, request.nodeid(), oldName, in.get(JAVA_LONG_UNALIGNED, IN_HEADER), in.getString(newNameAt), flags);
    }

    private long cStringLength(long at) {
        long i = at;
        while (in.get(ValueLayout.JAVA_BYTE, i) != 0) i++;
        return i - at;
    }

    private int entryReply() {
        Wire.putEntry(out, OUT_HEADER, entry);
        return Wire.ENTRY_OUT;
    }

    private int attrReply() {
        Wire.putAttrOut(out, OUT_HEADER, attributes);
        return Wire.ATTR_OUT;
    }

    private int statfsReply() {
        long at = OUT_HEADER;
        out.asSlice(at, 80).fill((byte) 0);
        out.set(JAVA_LONG_UNALIGNED, at, stats.blocks);
        out.set(JAVA_LONG_UNALIGNED, at + 8, stats.blocksFree);
        out.set(JAVA_LONG_UNALIGNED, at + 16, stats.blocksAvailable);
        out.set(JAVA_LONG_UNALIGNED, at + 24, stats.files);
        out.set(JAVA_LONG_UNALIGNED, at + 32, stats.filesFree);
        out.set(JAVA_INT_UNALIGNED, at + 40, stats.blockSize);
        out.set(JAVA_INT_UNALIGNED, at + 44, stats.nameLength);
        out.set(JAVA_INT_UNALIGNED, at + 48, stats.fragmentSize);
        return 80;
    }

    private int init(long p) {
        int payload = in.get(JAVA_INT_UNALIGNED, 0) - IN_HEADER;
        int major = in.get(JAVA_INT_UNALIGNED, p);
        if (major < InitNegotiation.MAJOR) return -EPROTO;
        if (major > InitNegotiation.MAJOR) return InitNegotiation.encodeMajorOnly(out, OUT_HEADER);
        InitNegotiation.Negotiated n = InitNegotiation.negotiate(in, p, payload, maxWrite);
        session.negotiated(n, in.get(JAVA_INT_UNALIGNED, p + 4));
        return InitNegotiation.encode(out, OUT_HEADER, n);
    }

    private void reply(long unique, int result) {
        int length = OUT_HEADER + Math.max(result, 0);
        out.set(JAVA_INT_UNALIGNED, 0, length);
        out.set(JAVA_INT_UNALIGNED, 4, Math.min(result, 0));
        out.set(JAVA_LONG_UNALIGNED, 8, unique);
        long w = LibC.write(fd, out, length);
        if (w == -Errno.ENOENT) {
            log.debug("{}: {} was interrupted or aborted before its reply", session.name(), request);
        } else if (w < 0 && w != -Errno.ENODEV && w != -Errno.ECONNABORTED) {
            log.warn("{}: reply to {} rejected: {}", session.name(), request, Errno.describe((int) -w));
        }
    }
}
