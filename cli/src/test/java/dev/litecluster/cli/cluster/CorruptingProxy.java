package dev.litecluster.cli.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A TCP proxy between a replica and the primary that, once armed, flips one byte inside the next
 * RECORD frame of a database on its way to the replica (in the LTX header's timestamp, which only
 * the record's file checksum can catch).
 */
final class CorruptingProxy implements AutoCloseable {
    /** LTX header offset of the byte flipped: the timestamp (header bytes 32..39). */
    private static final int FLIPPED_OFFSET = 35;

    private final ServerSocket server;
    private final int targetPort;
    private final byte[] frameStart;
    private final AtomicBoolean armed = new AtomicBoolean();
    private final CountDownLatch flipped = new CountDownLatch(1);
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    private CorruptingProxy(int targetPort, String database) throws IOException {
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.targetPort = targetPort;
        byte[] name = database.getBytes(StandardCharsets.UTF_8);
        // StreamFrame header of a RECORD: type 0, u16 name length, name; then u64 length and "LTX1"
        frameStart = new byte[3 + name.length];
        frameStart[1] = (byte) (name.length >> 8);
        frameStart[2] = (byte) name.length;
        System.arraycopy(name, 0, frameStart, 3, name.length);
        Thread accept = new Thread(this::acceptLoop, "corrupting-proxy");
        accept.setDaemon(true);
        accept.start();
    }

    static CorruptingProxy start(int targetPort, String database) throws IOException {
        return new CorruptingProxy(targetPort, database);
    }

    String url() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    void armOnce() {
        armed.set(true);
    }

    boolean awaitFlipped(Duration timeout) throws InterruptedException {
        return flipped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                sockets.add(client);
                sockets.add(upstream);
                pump(client, upstream, false);
                pump(upstream, client, true);
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void pump(Socket from, Socket to, boolean towardReplica) {
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[1 << 16];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                    if (towardReplica && armed.get()) {
                        corruptRecord(buffer, n);
                    }
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // one side closed: close both
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "corrupting-proxy-pump");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Flips one byte of a RECORD's LTX header when the frame header, the magic and the flipped byte
     * are all in this read with no HTTP chunk boundary among them (a chunk boundary has a CR).
     */
    private void corruptRecord(byte[] buffer, int n) {
        int magicDistance = frameStart.length + 8;
        for (int i = 0; i + magicDistance + FLIPPED_OFFSET < n; i++) {
            if (matches(buffer, i, frameStart) && matches(buffer, i + magicDistance, "LTX1".getBytes(StandardCharsets.US_ASCII))
                    && !containsCr(buffer, i, i + magicDistance + FLIPPED_OFFSET + 1) && armed.compareAndSet(true, false)) {
                buffer[i + magicDistance + FLIPPED_OFFSET] ^= 0x01;
                flipped.countDown();
                return;
            }
        }
    }

    private static boolean matches(byte[] buffer, int at, byte[] pattern) {
        for (int j = 0; j < pattern.length; j++) {
            if (buffer[at + j] != pattern[j]) {
                return false;
            }
        }
        return true;
    }

    private static boolean containsCr(byte[] buffer, int from, int to) {
        for (int i = from; i < to; i++) {
            if (buffer[i] == '\r') {
                return true;
            }
        }
        return false;
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        sockets.forEach(CorruptingProxy::closeQuietly);
    }
}
