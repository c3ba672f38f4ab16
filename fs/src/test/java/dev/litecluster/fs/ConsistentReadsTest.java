package dev.litecluster.fs;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.litecluster.fs.Clients.sqlite3;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Readers never see a torn state while commits are captured: a writer moves money between accounts
 * (the total never changes) while two reader processes keep summing the balances.
 */
class ConsistentReadsTest {
    private static final String DB = "bank.db";
    private static final int ACCOUNTS = 10;
    private static final int TOTAL = ACCOUNTS * 1000;
    private static final int TRANSFERS = 300;

    /**
     * A fixed number of random transfers (not a time span: under load, busy readers could leave a
     * timed writer few commits), every tenth rolled back; prints how many it committed.
     */
    private static final String WRITER = """
            import random, sqlite3, sys
            c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
            commits = 0
            for i in range(int(sys.argv[2])):
                a, b = random.sample(range(1, %d + 1), 2)
                amount = random.randint(1, 500)
                c.execute("BEGIN IMMEDIATE")
                c.execute("UPDATE accounts SET balance = balance - ?, pad = randomblob(3000) WHERE id = ?", (amount, a))
                c.execute("UPDATE accounts SET balance = balance + ?, pad = randomblob(3000) WHERE id = ?", (amount, b))
                if random.random() < 0.1:
                    c.execute("ROLLBACK")
                else:
                    c.execute("COMMIT")
                    commits += 1
            print(commits)
            """.formatted(ACCOUNTS);

    /** Sums the balances until the stop file appears; exits 1 at the first wrong total. */
    private static final String READER = """
            import os, sqlite3, sys
            c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
            reads = 0
            while not os.path.exists(sys.argv[2]):
                total, count = c.execute("SELECT sum(balance), count(*) FROM accounts").fetchone()
                if total != %d or count != %d:
                    print("torn read after", reads, "reads: sum", total, "count", count)
                    sys.exit(1)
                reads += 1
            print(reads)
            """.formatted(TOTAL, ACCOUNTS);

    @TempDir
    Path root;

    @ParameterizedTest
    @ValueSource(strings = {"DELETE", "WAL"})
    void readersAlwaysSeeTheSameTotal(String mode) throws Exception {
        Oracle.captureAndVerify(root, node -> {
            Path db = node.db(DB);
            // each account on its own page, so a transfer changes several pages
            sqlite3(db, "PRAGMA journal_mode=" + mode + ";"
                    + "CREATE TABLE accounts(id INTEGER PRIMARY KEY, balance INTEGER, pad BLOB);"
                    + "INSERT INTO accounts SELECT value, 1000, randomblob(3000) FROM generate_series(1, " + ACCOUNTS + ");");
            Path stop = root.resolve("stop");
            List<Process> readers = new ArrayList<>();
            try {
                for (int i = 0; i < 2; i++) {
                    readers.add(Clients.startPython(root.resolve("reader" + i + ".out"), READER, db, stop));
                }
                String commits = Clients.python(WRITER, db, TRANSFERS).trim();
                assertThat(Integer.parseInt(commits)).as("transfers committed").isGreaterThan(TRANSFERS / 2);
                Files.createFile(stop);
                for (int i = 0; i < readers.size(); i++) {
                    Process reader = readers.get(i);
                    assertThat(reader.waitFor(60, TimeUnit.SECONDS)).isTrue();
                    String output = Files.readString(root.resolve("reader" + i + ".out"));
                    assertThat(reader.exitValue()).as("reader %d: %s", i, output).isZero();
                    assertThat(Integer.parseInt(output.trim())).as("reads by reader %d", i).isPositive();
                }
            } finally {
                readers.forEach(Process::destroyForcibly);
            }
            assertThat(sqlite3(db, "SELECT sum(balance) FROM accounts;")).isEqualTo(TOTAL + "\n");
        }, DB);
    }
}
