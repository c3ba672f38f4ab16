package dev.litecluster.fs;

import java.util.regex.Pattern;

/**
 * What a name in the (flat) mount directory stands for: a database, one of its SQLite side files,
 * its read-only position file, or a super-journal of a multi-database transaction.
 */
public record FileName(Kind kind, String database) {

    public enum Kind { DATABASE, JOURNAL, WAL, SHM, POSITION, SUPER_JOURNAL, INVALID }

    /** SQLite names a super-journal {@code <main db>-mj%06X9%02X}: 6 random hex digits, a 9, 2 more. */
    private static final Pattern SUPER_JOURNAL = Pattern.compile(".+-mj[0-9A-F]{6}9[0-9A-F]{2}");
    private static final String[][] SUFFIXES = {{"-journal", "JOURNAL"}, {"-wal", "WAL"}, {"-shm", "SHM"}, {"-pos", "POSITION"}};

    public static FileName parse(String name) {
        if (name.isEmpty() || name.startsWith(".") || name.contains("/") || name.length() > 200) {
            return new FileName(Kind.INVALID, null);
        }
        if (SUPER_JOURNAL.matcher(name).matches()) {
            return new FileName(Kind.SUPER_JOURNAL, null);
        }
        for (String[] suffix : SUFFIXES) {
            if (name.endsWith(suffix[0]) && name.length() > suffix[0].length()) {
                return new FileName(Kind.valueOf(suffix[1]), name.substring(0, name.length() - suffix[0].length()));
            }
        }
        return new FileName(Kind.DATABASE, name);
    }
}
