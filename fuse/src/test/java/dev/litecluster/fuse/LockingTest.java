package dev.litecluster.fuse;

import dev.litecluster.fuse.sys.Errno;
import dev.litecluster.fuse.sys.LibC;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** SQLite's fcntl locks are enforced by the kernel on the mount exactly as on a plain directory. */
class LockingTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** SQLite's lock bytes in the db file: PENDING, RESERVED, then the SHARED range. */
    private static final long PENDING = 0x40000000L, SHARED_FIRST = PENDING + 2, SHARED_SIZE = 510;

    private static final String HOLDER = """
            import sqlite3, sys
            c = sqlite3.connect(sys.argv[1], isolation_level=None)
            c.execute("BEGIN EXCLUSIVE")
            c.execute("INSERT INTO t VALUES (1)")
            print("locked", flush=True)
            sys.stdin.readline()
            c.execute("COMMIT")
            print("committed", flush=True)
            """;
    private static final String ATTEMPT = """
            import sqlite3, sys
            c = sqlite3.connect(sys.argv[1], timeout=0, isolation_level=None)
            try:
                if sys.argv[2] == "write":
                    c.execute("INSERT INTO t VALUES (2)")
                else:
                    c.execute("SELECT count(*) FROM t").fetchone()
                print("ok")
            except sqlite3.OperationalError as e:
                print(e)
            """;

    static TestMount m;

    @BeforeAll
    static void mount() throws IOException {
        m = TestMount.passthrough();
    }

    @AfterAll
    static void unmount() throws IOException {
        if (m != null) m.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"DELETE", "WAL"})
    void busyBetweenProcessesMatchesPlainDirectory(String journalMode) throws Exception {
        Path plain = Files.createDirectories(m.dir.resolve("plain"));
        List<String> onPlain = lockScenario(plain.resolve("lock-" + journalMode + ".db"), journalMode);
        List<String> onMount = lockScenario(m.mountPoint.resolve("lock-" + journalMode + ".db"), journalMode);
        String readWhileLocked = journalMode.equals("WAL") ? "ok" : "database is locked";
        assertThat(onPlain).containsExactly("database is locked", readWhileLocked, "ok", "ok");
        assertThat(onMount).isEqualTo(onPlain);
    }

    /** Another process's write and read while a process holds BEGIN EXCLUSIVE, then both after its commit. */
    private static List<String> lockScenario(Path db, String journalMode) throws Exception {
        Proc.run(TIMEOUT, "sqlite3", db.toString(), "PRAGMA journal_mode=" + journalMode + "; CREATE TABLE t(v);").ok();
        List<String> outcomes = new ArrayList<>();
        Process holder = Proc.startPython(HOLDER, db);
        BufferedReader holderOut = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
        assertThat(holderOut.readLine()).isEqualTo("locked");
        outcomes.add(attempt(db, "write"));
        outcomes.add(attempt(db, "read"));
        try (Writer w = holder.outputWriter()) {
            w.write("\n");
        }
        assertThat(holderOut.readLine()).isEqualTo("committed");
        Proc.finish(holder, TIMEOUT).ok();
        outcomes.add(attempt(db, "write"));
        outcomes.add(attempt(db, "read"));
        return outcomes;
    }

    private static String attempt(Path db, String what) throws Exception {
        return Proc.python(TIMEOUT, ATTEMPT, db, what).ok().out().trim();
    }

    @Test
    void ofdLockThroughTheMountConflictsWithSqliteProcesses() throws Exception {
        Path db = m.mountPoint.resolve("ofd.db");
        Proc.run(TIMEOUT, "sqlite3", db.toString(), "CREATE TABLE t(v); INSERT INTO t VALUES (0);").ok();
        int fd = LibC.open(db.toString(), LibC.O_RDWR | LibC.O_CLOEXEC, 0);
        assertThat(fd).isPositive();
        try {
            // Writing the SHARED range is what an EXCLUSIVE SQLite lock does: readers are shut out.
            assertThat(LibC.ofdLock(fd, LibC.F_WRLCK, SHARED_FIRST, SHARED_SIZE)).isZero();
            assertThat(Proc.run(TIMEOUT, "sqlite3", db.toString(), "SELECT count(*) FROM t;").err()).contains("database is locked");
            assertThat(LibC.ofdLock(fd, LibC.F_UNLCK, SHARED_FIRST, SHARED_SIZE)).isZero();
            assertThat(Proc.run(TIMEOUT, "sqlite3", db.toString(), "SELECT count(*) FROM t;").ok().out().trim()).isEqualTo("1");

            Process holder = Proc.startPython(HOLDER, db);
            BufferedReader holderOut = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            assertThat(holderOut.readLine()).isEqualTo("locked");
            assertThat(LibC.ofdGetLock(fd, LibC.F_RDLCK, SHARED_FIRST, SHARED_SIZE)).isEqualTo(LibC.F_WRLCK);
            assertThat(LibC.ofdLock(fd, LibC.F_RDLCK, SHARED_FIRST, SHARED_SIZE)).isEqualTo(-Errno.EAGAIN);
            try (Writer w = holder.outputWriter()) {
                w.write("\n");
            }
            Proc.finish(holder, TIMEOUT).ok();
            assertThat(LibC.ofdLock(fd, LibC.F_RDLCK, SHARED_FIRST, SHARED_SIZE)).isZero();
            assertThat(LibC.ofdLock(fd, LibC.F_UNLCK, 0, 0)).isZero();
        } finally {
            LibC.close(fd);
        }
    }
}
