package dev.litecluster.cli.cluster;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The bank workload (transfers between accounts; the sum of balances never changes) as real
 * processes: writers on the primary (python3, the sqlite3 CLI, sqlite-jdbc) and invariant-checking
 * readers on replicas. The python side is {@code cluster/bank.py}.
 */
final class Bank {
    static final String DB = "bank.db";
    static final int ACCOUNTS = 100;

    private final TestCluster cluster;
    private final Path script;
    private final Path stopReaders;
    private int started;

    Bank(TestCluster cluster) throws IOException {
        this.cluster = cluster;
        try {
            this.script = Path.of(Bank.class.getResource("/cluster/bank.py").toURI());
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
        this.stopReaders = cluster.root().resolve("stop-readers");
    }

    /** A running workload process and the file its output goes to. */
    record Job(String name, Process process, Path output) {
        /** Waits for the job to end; asserts exit 0 and returns its output. */
        String await(Duration timeout) throws IOException, InterruptedException {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(name + " did not finish in " + timeout + ":\n" + Files.readString(output));
            }
            String text = Files.readString(output);
            assertThat(process.exitValue()).as(name + " output:\n" + text).isZero();
            return text;
        }
    }

    /** Creates the accounts on the primary in {@code journalMode} (DELETE, WAL, ...). */
    void create(String journalMode) throws IOException, InterruptedException {
        TestCluster.sqlite3(cluster.primary().db(DB), """
                PRAGMA journal_mode=%s;
                CREATE TABLE accounts(id INTEGER PRIMARY KEY, balance INTEGER NOT NULL);
                CREATE TABLE transfers(id INTEGER PRIMARY KEY, src INTEGER, dst INTEGER, amount INTEGER, writer TEXT);
                INSERT INTO accounts(balance) SELECT 1000 FROM generate_series(1, %d);
                """.formatted(journalMode, ACCOUNTS));
    }

    Job pythonWriter(ClusterNode node, Duration duration, int seed) throws IOException {
        return job("python-writer", List.of("python3", script.toString(), "write", node.db(DB).toString(),
                Double.toString(duration.toMillis() / 1000.0), Integer.toString(seed)));
    }

    Job jdbcWriter(ClusterNode node, Duration duration, int seed) throws IOException {
        return job("jdbc-writer", TestCluster.java("64m", JdbcBankWriter.class.getName(), node.db(DB).toString(),
                Double.toString(duration.toMillis() / 1000.0), Integer.toString(seed)));
    }

    /** The sqlite3 CLI running {@code transfers} transfers from a script ({@code .bail on}: a failed BEGIN stops it). */
    Job sqliteWriter(ClusterNode node, int transfers, int seed) throws IOException {
        Random random = new Random(seed);
        StringBuilder sql = new StringBuilder(".bail on\n.timeout 60000\n");
        for (int i = 0; i < transfers; i++) {
            int from = 1 + random.nextInt(ACCOUNTS);
            int to = 1 + (from + random.nextInt(ACCOUNTS - 1)) % ACCOUNTS;
            int amount = 1 + random.nextInt(50);
            sql.append("BEGIN IMMEDIATE; UPDATE accounts SET balance = balance - %d WHERE id = %d; ".formatted(amount, from))
                    .append("UPDATE accounts SET balance = balance + %d WHERE id = %d; ".formatted(amount, to))
                    .append("INSERT INTO transfers(src, dst, amount, writer) VALUES (%d, %d, %d, 'sqlite3'); COMMIT;\n"
                            .formatted(from, to, amount));
        }
        sql.append("SELECT 'transfers=%d';\n".formatted(transfers));
        Path input = Files.writeString(cluster.root().resolve("sqlite3-writer-" + seed + ".sql"), sql);
        return job("sqlite3-writer", List.of("sh", "-c", "exec sqlite3 \"$0\" < \"$1\"", node.db(DB).toString(), input.toString()));
    }

    /** A reader checking the invariant on {@code node} until {@link #stopReaders()}. */
    Job reader(ClusterNode node) throws IOException {
        return job("reader on " + node.name(), List.of("python3", script.toString(), "read", node.db(DB).toString(),
                stopReaders.toString()));
    }

    void stopReaders() throws IOException {
        Files.writeString(stopReaders, "stop\n");
    }

    /** One read transaction on {@code node} held open for {@code duration}; must see one consistent state. */
    Job holdReadTransaction(ClusterNode node, Duration duration) throws IOException {
        return job("long reader on " + node.name(), List.of("python3", script.toString(), "hold", node.db(DB).toString(),
                Double.toString(duration.toMillis() / 1000.0)));
    }

    private Job job(String name, List<String> command) throws IOException {
        Path output = cluster.root().resolve("job-" + (++started) + ".out");
        return new Job(name, cluster.spawn(command, output), output);
    }

    /** Every writer kind at once on the primary for about {@code duration}. */
    List<Job> allWriters(Duration duration, int sqliteTransfers) throws IOException {
        List<Job> writers = new ArrayList<>();
        writers.add(pythonWriter(cluster.primary(), duration, 1));
        writers.add(jdbcWriter(cluster.primary(), duration, 2));
        writers.add(sqliteWriter(cluster.primary(), sqliteTransfers, 3));
        return writers;
    }
}
