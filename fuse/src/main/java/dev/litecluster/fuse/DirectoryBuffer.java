package dev.litecluster.fuse;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/**
 * Packs a READDIR ({@code fuse_dirent}) or READDIRPLUS ({@code fuse_direntplus}) reply into the
 * reply buffer, whole records only, within the size the kernel asked for.
 */
public final class DirectoryBuffer {
    private static final int DIRENT = 24;

    private MemorySegment out;
    private long base;
    private int capacity;
    private int used;
    private boolean plus;

    void reset(MemorySegment out, long base, int capacity, boolean plus) {
        this.out = out;
        this.base = base;
        this.capacity = capacity;
        this.used = 0;
        this.plus = plus;
    }

    /** True for READDIRPLUS: use {@link #addPlus}; each added entry counts as a lookup of its node. */
    public boolean isPlus() {
        return plus;
    }

    int size() {
        return used;
    }

    /**
     * Adds a READDIR record. {@code nextOffset} is the cookie the kernel sends back to continue
     * after this entry (never 0). Returns false, adding nothing, when the record does not fit.
     */
    public boolean add(String name, long ino, int mode, long nextOffset) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        int length = align8(DIRENT + bytes.length);
        if (used + length > capacity) return false;
        putDirent(base + used, bytes, ino, mode, nextOffset, length - DIRENT - bytes.length);
        used += length;
        return true;
    }

    /**
     * Adds a READDIRPLUS record with the entry's node and attributes. Use nodeid 0 for "." and
     * "..". Returns false, adding nothing, when the record does not fit: the caller must then not
     * count a lookup for that entry.
     */
    public boolean addPlus(String name, Entry entry, long nextOffset) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        int length = align8(Wire.ENTRY_OUT + DIRENT + bytes.length);
        if (used + length > capacity) return false;
        long at = base + used;
        Wire.putEntry(out, at, entry);
        putDirent(at + Wire.ENTRY_OUT, bytes, entry.attributes.ino, entry.attributes.mode, nextOffset,
                length - Wire.ENTRY_OUT - DIRENT - bytes.length);
        used += length;
        return true;
    }

    private void putDirent(long at, byte[] name, long ino, int mode, long nextOffset, int padding) {
        out.set(JAVA_LONG_UNALIGNED, at, ino);
        out.set(JAVA_LONG_UNALIGNED, at + 8, nextOffset);
        out.set(JAVA_INT_UNALIGNED, at + 16, name.length);
        out.set(JAVA_INT_UNALIGNED, at + 20, (mode & 0170000) >> 12);
        MemorySegment.copy(name, 0, out, ValueLayout.JAVA_BYTE, at + DIRENT, name.length);
        out.asSlice(at + DIRENT + name.length, padding).fill((byte) 0);
    }

    private static int align8(int n) {
        return (n + 7) & ~7;
    }
}
