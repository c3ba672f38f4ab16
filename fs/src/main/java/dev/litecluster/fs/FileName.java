package dev.litecluster.fs;

import java.util.regex.Pattern;

/**
 * What a name in the (flat) mount directory stands for: a database, one of its SQLite side files,
 * its read-only position file, a super-journal of a multi-database transaction, or one of the
 * read-only cluster files {@code .primary} and {@code .lag} (as LiteFS has them).
 */
public record FileName(Kind kind, String database) {

    public enum Kind { DATABASE, JOURNAL, WAL, SHM, POSITION, SUPER_JOURNAL, PRIMARY, LAG, INVALID }

    /** SQLite names a super-journal {@code <main db>-mj%06X9%02X}: 6 random hex digits, a 9, 2 more. */
    private static final Pattern SUPER_JOURNAL = Pattern.compile(".+-mj[0-9A-F]{6}9[0-9A-F]{2}");
    private static final String[][] SUFFIXES = {{"-journal", "JOURNAL"}, {"-wal", "WAL"}, {"-shm", "SHM"}, {"-pos", "POSITION"}};

    /** A read-only file whose content Litecluster produces: {@code -pos}, {@code .primary}, {@code .lag}. */
    public boolean backingless() {
        return kind == Kind.POSITION || kind == Kind.PRIMARY || kind == Kind.LAG;
    }

    public static FileName parse(String name) {
        if (name.equals(".primary")) {
            return new FileName(Kind.PRIMARY, null);
        }
        if (name.equals(".lag")) {
            return new FileName(Kind.LAG, null);
        }
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
