package dev.litecluster.store.sqlite;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/** Where a {@link WalFollower} reads the WAL's bytes back: its file, or what holds it in memory. */
@FunctionalInterface
public interface WalSource {

    /** Reads {@code into[from..from+length)} at {@code position}; returns how many bytes the WAL held there. */
    int read(byte[] into, int from, int length, long position) throws IOException;

    /** The WAL in {@code file}. */
    static WalSource of(FileChannel file) {
        return (into, from, length, position) -> {
            ByteBuffer buffer = ByteBuffer.wrap(into, from, length);
            while (buffer.hasRemaining()) {
                if (file.read(buffer, position + buffer.position() - from) < 0) {
                    break;
                }
            }
            return buffer.position() - from;
        };
    }
}
