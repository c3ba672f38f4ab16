package dev.litecluster.fuse;

/** python3 client programs shared by the SQLite tests. */
final class SqliteScripts {
    private SqliteScripts() {}

    /** argv: db, journal mode. Creates 4 counters and an empty log. */
    static final String CREATE = """
            import sqlite3, sys
            c = sqlite3.connect(sys.argv[1], isolation_level=None)
            c.execute("PRAGMA journal_mode=" + sys.argv[2])
            c.execute("CREATE TABLE counters(id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
            c.execute("CREATE TABLE log(id INTEGER PRIMARY KEY, tag TEXT NOT NULL)")
            c.executemany("INSERT INTO counters VALUES (?, 0)", [(i,) for i in range(4)])
            """;

    /** argv: db, increments, tag. Each increment is one write transaction: a counter +1 and a log row. */
    static final String WRITER = """
            import sqlite3, sys
            db, n, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
            c = sqlite3.connect(db, timeout=60, isolation_level=None)
            for i in range(n):
                c.execute("BEGIN IMMEDIATE")
                c.execute("UPDATE counters SET n = n + 1 WHERE id = ?", (i % 4,))
                c.execute("INSERT INTO log(tag) VALUES (?)", (tag,))
                c.execute("COMMIT")
            """;

    /** argv: db, stop file. Reads until the stop file exists; fails on an inconsistent or regressing snapshot. */
    static final String READER = """
            import sqlite3, sys, os
            db, stop = sys.argv[1], sys.argv[2]
            c = sqlite3.connect(db, timeout=60, isolation_level=None)
            reads, last = 0, -1
            while not os.path.exists(stop) or reads < 10:
                c.execute("BEGIN")
                s = c.execute("SELECT sum(n) FROM counters").fetchone()[0]
                l = c.execute("SELECT count(*) FROM log").fetchone()[0]
                c.execute("COMMIT")
                if s != l or s < last:
                    print("inconsistent", s, l, last)
                    sys.exit(1)
                last, reads = s, reads + 1
            print(reads)
            """;

    /** argv: db. Prints integrity_check, sum of counters, log rows. */
    static final String CHECK = """
            import sqlite3, sys
            c = sqlite3.connect(sys.argv[1], isolation_level=None)
            print(c.execute("PRAGMA integrity_check").fetchone()[0],
                  c.execute("SELECT sum(n) FROM counters").fetchone()[0],
                  c.execute("SELECT count(*) FROM log").fetchone()[0])
            """;
}
