package dev.litecluster.cluster;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * One frame of the replication stream (primary → replica): type u8, database name (u16 length +
 * UTF-8), payload length u64, payload. A RECORD or SNAPSHOT payload is a complete LTX file.
 */
public record StreamFrame(Type type, String database, long length) {

    public enum Type { RECORD, SNAPSHOT, HEARTBEAT }

    /** Largest payload a replica accepts (a snapshot of a database up to this size). */
    static final long MAX_PAYLOAD = 1L << 40;

    public static final StreamFrame HEARTBEAT = new StreamFrame(Type.HEARTBEAT, "", 0);

    /** Writes the frame header; the caller writes exactly {@code length} payload bytes after it. */
    public void writeHeader(DataOutputStream out) throws IOException {
        byte[] name = database.getBytes(StandardCharsets.UTF_8);
        out.writeByte(type.ordinal());
        out.writeShort(name.length);
        out.write(name);
        out.writeLong(length);
    }

    /** Reads a frame header, or returns null at a clean end of stream. */
    public static StreamFrame readHeader(DataInputStream in) throws IOException {
        int type = in.read();
        if (type < 0) {
            return null;
        }
        if (type >= Type.values().length) {
            throw new IOException("replication stream: unknown frame type " + type);
        }
        byte[] name = new byte[in.readUnsignedShort()];
        in.readFully(name);
        long length = in.readLong();
        if (length < 0 || length > MAX_PAYLOAD) {
            throw new IOException("replication stream: frame of " + Long.toUnsignedString(length) + " bytes");
        }
        return new StreamFrame(Type.values()[type], new String(name, StandardCharsets.UTF_8), length);
    }

    /** Reads the whole payload into memory (for a small one). */
    public byte[] readPayload(DataInputStream in) throws IOException {
        byte[] payload = new byte[Math.toIntExact(length)];
        try {
            in.readFully(payload);
        } catch (EOFException e) {
            throw endedInside();
        }
        return payload;
    }

    /** Copies exactly {@code length} payload bytes from {@code in} to {@code out}. */
    public void copyPayload(InputStream in, OutputStream out) throws IOException {
        byte[] buffer = new byte[1 << 16];
        long left = length;
        while (left > 0) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                throw endedInside();
            }
            out.write(buffer, 0, n);
            left -= n;
        }
    }

    private EOFException endedInside() {
        return new EOFException("replication stream ended inside a " + type + " of " + database);
    }
}
