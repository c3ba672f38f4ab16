package dev.litecluster.fuse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Reads {@code /proc/self/mountinfo} to find FUSE mounts at a path. */
final class MountTable {
    private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

    /** A FUSE mount; {@code connection} is the minor of its device, the id under /sys/fs/fuse/connections. */
    record FuseEntry(Path mountPoint, int connection, String fsType) {}

    private MountTable() {}

    /** The topmost FUSE mount at {@code mountPoint}, if any. */
    static Optional<FuseEntry> fuseMountAt(Path mountPoint) throws IOException {
        FuseEntry found = null;
        for (String line : Files.readAllLines(MOUNTINFO)) {
            // id parent major:minor root mountpoint options [optional...] - fstype source superoptions
            String[] f = line.split(" ");
            int dash = java.util.Arrays.asList(f).indexOf("-");
            if (f.length < 5 || dash < 0 || dash + 1 >= f.length) continue;
            String type = f[dash + 1];
            if (!type.equals("fuse") && !type.startsWith("fuse.")) continue;
            if (!Path.of(unescape(f[4])).equals(mountPoint)) continue;
            int minor = Integer.parseInt(f[2].substring(f[2].indexOf(':') + 1));
            found = new FuseEntry(mountPoint, minor, type);
        }
        return Optional.ofNullable(found);
    }

    /** mountinfo escapes space, tab, newline and backslash as \ooo octal. */
    private static String unescape(String s) {
        if (s.indexOf('\\') < 0) return s;
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
