package dev.litecluster.fuse;

import dev.litecluster.fuse.sys.Errno;
import dev.litecluster.fuse.sys.LibC;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One FUSE connection: the reader threads (each on its own clone of the mounted
 * {@code /dev/fuse} descriptor), INIT state, interrupts and the {@link Notifier}. It ends when
 * every reader sees ENODEV/ECONNABORTED (unmount or abort); the last one closes the descriptors.
 */
final class FuseSession {
    private static final Logger log = LoggerFactory.getLogger(FuseSession.class);
    /** ioctl(FUSE_DEV_IOC_CLONE) = _IOR(229, 0, uint32_t). */
    private static final long FUSE_DEV_IOC_CLONE = 0x8004E500L;

    private final String name;
    private final int deviceFd;
    private final List<RequestReader> readers = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final CountDownLatch initDone = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicInteger running = new AtomicInteger();
    private final Set<Integer> reportedUnsupported = ConcurrentHashMap.newKeySet();
    private final Notifier notifier;
    private volatile InitNegotiation.Negotiated negotiated;

    private FuseSession(String name, int deviceFd) {
        this.name = name;
        this.deviceFd = deviceFd;
        this.notifier = new Notifier(deviceFd, name);
    }

    /**
     * Starts {@code readerCount} readers on a freshly mounted device descriptor (INIT is already
     * queued). Takes ownership of {@code deviceFd}.
     */
    static FuseSession start(String name, int deviceFd, FuseFileSystem fs, int readerCount, int maxWrite) throws IOException {
        FuseSession session = new FuseSession(name, deviceFd);
        List<Integer> fds = new ArrayList<>(List.of(deviceFd));
        for (int i = 1; i < readerCount; i++) {
            int clone = LibC.open("/dev/fuse", LibC.O_RDWR | LibC.O_CLOEXEC, 0);
            int r = clone < 0 ? clone : LibC.ioctlInt(clone, FUSE_DEV_IOC_CLONE, deviceFd);
            if (r < 0) {
                if (clone >= 0) LibC.close(clone);
                fds.forEach(LibC::close);
                throw new IOException("cannot clone /dev/fuse descriptor: " + Errno.describe(r));
            }
            fds.add(clone);
        }
        for (int i = 0; i < fds.size(); i++) {
            RequestReader reader = new RequestReader(session, fs, fds.get(i), maxWrite);
            session.readers.add(reader);
            session.threads.add(Thread.ofPlatform().daemon().name("fuse-" + name + "-" + i).unstarted(reader));
        }
        session.running.set(fds.size());
        session.threads.forEach(Thread::start);
        return session;
    }

    String name() {
        return name;
    }

    Notifier notifier() {
        return notifier;
    }

    boolean awaitInit(Duration timeout) throws InterruptedException {
        return initDone.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    boolean awaitStopped(Duration timeout) throws InterruptedException {
        return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    boolean isStopped() {
        return stopped.getCount() == 0;
    }

    boolean isReaderThread(Thread thread) {
        return threads.contains(thread);
    }

    void negotiated(InitNegotiation.Negotiated n, int kernelMinor) {
        negotiated = n;
        log.info("{}: FUSE 7.{} (kernel 7.{}), max_write={}, flags=0x{}", name, n.minor(), kernelMinor, n.maxWrite(),
                Long.toHexString(n.flags()));
    }

    void initReplied() {
        notifier.start(negotiated);
        initDone.countDown();
    }

    /**
     * Marks the in-flight request {@code unique} interrupted; false if no reader is serving it (yet).
     * Reading another reader's current unique races benignly: uniques are never reused, and a
     * request marked after it finished is never asked again.
     */
    boolean interrupt(long unique) {
        for (RequestReader reader : readers) {
            if (reader.request.unique() == unique) {
                reader.request.interrupt(unique);
                return true;
            }
        }
        return false;
    }

    void reportUnsupported(int opcode) {
        if (reportedUnsupported.add(opcode)) log.info("{}: unsupported {} answered ENOSYS", name, Opcode.name(opcode));
    }

    void readerStopped() {
        if (running.decrementAndGet() > 0) return;
        notifier.stop();
        for (RequestReader reader : readers) LibC.close(reader.fd());
        log.info("{}: session ended", name);
        stopped.countDown();
    }
}
