"""Replication benchmark: one markdown table (bench/run replication).

Starts a static-lease cluster from the shaded jar on loopback (a primary and two replicas, each
its own JVM and FUSE mount) and measures, with python3's sqlite3 as the app:
  - lag: commit on the primary -> row visible to a reader on each replica, at 100 and 1,000 tx/s
  - primary write tx/s with 0 and with 2 replicas attached
  - replica point reads q/s vs the same database in a plain directory
  - snapshot transfer: wipe a replica of a ~200 MB database and time until it has caught up
Helpers run as subprocesses of this script: `bench.py writer|reader|reads ...`.
Env: LAG_SECONDS (5), TPS_SECONDS (5), TPS_ROUNDS (3), WARMUP_SECONDS (10: writes before the tx/s
rounds, so JIT compilation is not what is measured: on a pinned CPU C2 is still busy ~10 s in;
0 = none), READ_SECONDS (3),
SNAPSHOT_MB (200), BENCH_DIR (/var/tmp), PIN (0; 1 = the primary and its writer on CPU 0, the
replicas and their readers on CPU 1: two "hosts" that share only the disk, as close to separate
machines as one 2-CPU box gets, so the replicas cannot take CPU from the primary. With PIN=1 the lag
rows are measured twice: pinned, where both replicas and both readers share one CPU, and with every
process free to run on any CPU).
"""
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

SECRET = "bench-secret"
PIN = os.environ.get("PIN") == "1"


# With PIN=1: the primary (and its writer) on CPU 0, both replicas (and their readers) on CPU 1.
HOME = [0, 1, 1]


def pinned(cpu, command):
    return (["taskset", "-c", str(cpu)] if PIN and cpu is not None else []) + command


def place(nodes, cpus):
    """Moves every thread of each running node to its CPU (None: any CPU); its helpers follow."""
    for node, cpu in zip(nodes, cpus):
        allowed = str(cpu) if cpu is not None else f"0-{os.cpu_count() - 1}"
        subprocess.run(["taskset", "-a", "-p", "-c", allowed, str(node.proc.pid)], check=True, capture_output=True)
        node.cpu = cpu


# ---- helper processes ---------------------------------------------------------------------------

def connect(path):
    return sqlite3.connect(path, isolation_level=None, timeout=60)


def writer(path, rate, seconds, out):
    """Inserts rows (at `rate` tx/s, 0 = as fast as possible); writes id and commit time per row."""
    c = connect(path)
    rate, seconds = float(rate), float(seconds)
    commits = []
    start = time.monotonic_ns()
    end = start + int(seconds * 1e9)
    i = 0
    while True:
        now = time.monotonic_ns()
        if now >= end:
            break
        if rate > 0:
            due = start + int(i / rate * 1e9)
            if due > now:
                time.sleep((due - now) / 1e9)
        cur = c.execute("INSERT INTO t(v) VALUES (randomblob(100))")
        commits.append((cur.lastrowid, time.monotonic_ns()))
        i += 1
    with open(out, "w") as f:
        json.dump({"commits": commits, "seconds": (time.monotonic_ns() - start) / 1e9}, f)


def reader(path, stopfile, out):
    """Polls max(id) on a replica; records when each id first became visible."""
    while True:
        try:
            c = connect(path)
            c.execute("SELECT max(id) FROM t").fetchone()
            break
        except sqlite3.OperationalError:
            time.sleep(0.01)
    seen = {}
    last = c.execute("SELECT coalesce(max(id), 0) FROM t").fetchone()[0]
    while not os.path.exists(stopfile):
        top = c.execute("SELECT coalesce(max(id), 0) FROM t").fetchone()[0]
        if top > last:
            now = time.monotonic_ns()
            for i in range(last + 1, top + 1):
                seen[i] = now
            last = top
        time.sleep(0.0001)
    with open(out, "w") as f:
        json.dump(seen, f)


def reads(path, rows, seconds):
    """Random point reads for `seconds`; prints q/s."""
    c = connect(path)
    rows, n = int(rows), 0
    rnd = random.Random(1)
    end = time.monotonic() + float(seconds)
    while time.monotonic() < end:
        for _ in range(100):
            c.execute("SELECT v FROM t WHERE id = ?", (rnd.randint(1, rows),)).fetchone()
        n += 100
    print(n / float(seconds))


# ---- the cluster --------------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Node:
    def __init__(self, work, name, jar, primary=None):
        self.name, self.jar = name, jar
        self.cpu = HOME[0] if primary is None else HOME[1]
        self.root = os.path.join(work, name)
        self.mnt, self.data = os.path.join(self.root, "mnt"), os.path.join(self.root, "data")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None
        os.makedirs(self.root, exist_ok=True)
        lease = (f'{{type: static, candidate: true, hostname: {name}, advertise-url: "{self.url}"}}' if primary is None
                 else f'{{type: static, candidate: false, advertise-url: "{primary.url}"}}')
        self.config = os.path.join(self.root, "litecluster.yml")
        with open(self.config, "w") as f:
            f.write(f"fuse: {{dir: {self.mnt}}}\ndata: {{dir: {self.data}}}\nlease: {lease}\n"
                    f"http: {{addr: \"127.0.0.1:{self.port}\", secret: {SECRET}}}\n")

    def start(self):
        log = open(os.path.join(self.root, "node.log"), "a")
        self.proc = subprocess.Popen(pinned(self.cpu, ["java", "--enable-native-access=ALL-UNNAMED", "-jar", self.jar,
                                                       "mount", "-c", self.config]), stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                if urllib.request.urlopen(self.url + "/health", timeout=1).status == 200:
                    return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{self.name} did not start; see {self.root}/node.log")
            time.sleep(0.05)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        with open("/proc/mounts") as f:
            if f" {self.mnt} " in f.read():
                subprocess.run(["umount", "-l", self.mnt])

    def db(self, name):
        return os.path.join(self.mnt, name)

    def position(self, name):
        try:
            with open(self.db(name) + "-pos") as f:
                return f.read().strip()
        except OSError:
            return None


def converge(nodes, name, timeout=600):
    deadline = time.monotonic() + timeout
    while True:
        want = nodes[0].position(name)
        if want and all(n.position(name) == want for n in nodes[1:]):
            return
        if time.monotonic() > deadline:
            raise SystemExit(f"{name} did not converge: {[n.position(name) for n in nodes]}")
        time.sleep(0.02)


def create(node, name, rows=0, blob=100):
    with connect(node.db(name)) as c:
        c.execute("PRAGMA journal_mode=WAL")
        c.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)")
        step = 10000
        for first in range(0, rows, step):
            c.execute("BEGIN")
            c.execute("WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?) "
                  "INSERT INTO t(v) SELECT randomblob(?) FROM s", (min(step, rows - first), blob))
            c.execute("COMMIT")


def helper(node, *args):
    """A helper process on `node`'s CPU (when pinned)."""
    return subprocess.Popen(pinned(node.cpu, [sys.executable, __file__, *map(str, args)]))


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


# ---- measurements -------------------------------------------------------------------------------

def measure_lag(work, primary, replicas, rate, seconds):
    name = f"lag{rate}-{'-'.join(str(r.cpu) for r in replicas)}.db"
    create(primary, name)
    converge([primary] + replicas, name)
    stop = os.path.join(work, f"stop-{name}")
    outs = [os.path.join(work, f"seen-{name}-{r.name}.json") for r in replicas]
    readers = [helper(r, "reader", r.db(name), stop, out) for r, out in zip(replicas, outs)]
    time.sleep(1)
    commits_file = os.path.join(work, f"commits-{name}.json")
    helper(primary, "writer", primary.db(name), rate, seconds, commits_file).wait()
    converge([primary] + replicas, name)
    time.sleep(0.2)
    open(stop, "w").close()
    for p in readers:
        p.wait()
    with open(commits_file) as f:
        written = json.load(f)
    lags = []
    for out in outs:
        with open(out) as f:
            seen = {int(k): v for k, v in json.load(f).items()}
        lags += [(seen[i] - t) / 1e6 for i, t in written["commits"] if i in seen]
    achieved = len(written["commits"]) / written["seconds"]
    return achieved, percentile(lags, 50), percentile(lags, 99), max(lags), len(lags)


def writes_per_second(work, primary, name, seconds, tag):
    out = os.path.join(work, f"{name}-{tag}.json")
    helper(primary, "writer", primary.db(name), 0, seconds, out).wait()
    with open(out) as f:
        written = json.load(f)
    return len(written["commits"]) / written["seconds"]


def measure_tps(work, primary, replicas, seconds, warmup, rounds):
    """Primary write tx/s with 0 and with the replicas attached: medians of alternating rounds on one
    database (the rate alone moves by ±8% between runs, as much as the difference measured; a new
    database sets off deoptimizations and recompiles, so it is warmed up once, with the replicas)."""
    name = "tps.db"
    create(primary, name)
    for r in replicas:
        r.start()
    converge([primary] + replicas, name)
    if warmup > 0:
        writes_per_second(work, primary, name, warmup, "warmup")
    alone, attached = [], []
    for i in range(rounds):
        for r in replicas:
            r.stop()
        alone.append(writes_per_second(work, primary, name, seconds, f"alone{i}"))
        for r in replicas:
            r.start()
        converge([primary] + replicas, name)
        attached.append(writes_per_second(work, primary, name, seconds, f"attached{i}"))
    if warmup > 0:
        writes_per_second(work, primary, name, warmup, "rewarm")  # the restarted replicas, before the lag rows
    converge([primary] + replicas, name)
    return alone, attached


def measure_reads(work, primary, replica, seconds, rows=100_000):
    name = "reads.db"
    create(primary, name, rows)
    converge([primary, replica], name)
    plain = os.path.join(work, "plain")
    os.makedirs(plain, exist_ok=True)
    subprocess.run(["sqlite3", replica.db(name), f".backup {plain}/{name}"], check=True)
    results = {}
    for label, path in (("replica", replica.db(name)), ("plain", os.path.join(plain, name))):
        out = subprocess.run(pinned(replica.cpu, [sys.executable, __file__, "reads", path, str(rows), str(seconds)]), check=True,
                             capture_output=True, text=True).stdout
        results[label] = float(out)
    return results["replica"], results["plain"]


def measure_snapshot(primary, replicas, megabytes):
    name = "big.db"
    create(primary, name, rows=megabytes * 1000, blob=1000)
    converge([primary] + replicas, name)
    size = os.path.getsize(os.path.join(primary.data, "dbs", name, "database"))
    replica = replicas[-1]
    replica.stop()
    shutil.rmtree(replica.data)
    began = time.monotonic()
    replica.start()
    started = time.monotonic()
    converge([primary, replica], name)
    done = time.monotonic()
    return size, done - began, done - started


def main():
    jar = os.path.abspath(sys.argv[1])
    lag_seconds = float(os.environ.get("LAG_SECONDS", 5))
    tps_seconds = float(os.environ.get("TPS_SECONDS", 5))
    warmup_seconds = float(os.environ.get("WARMUP_SECONDS", 10))
    tps_rounds = int(os.environ.get("TPS_ROUNDS", 3))
    read_seconds = float(os.environ.get("READ_SECONDS", 3))
    snapshot_mb = int(os.environ.get("SNAPSHOT_MB", 200))
    work = tempfile.mkdtemp(prefix="litecluster-replication-", dir=os.environ.get("BENCH_DIR", "/var/tmp"))
    primary = Node(work, "node1", jar)
    replicas = [Node(work, f"node{i}", jar, primary) for i in (2, 3)]
    rows = []
    try:
        primary.start()
        alone_rounds, attached_rounds = measure_tps(work, primary, replicas, tps_seconds, warmup_seconds, tps_rounds)
        alone, attached = statistics.median(alone_rounds), statistics.median(attached_rounds)
        nodes = [primary] + replicas
        placements = [("", None)] if not PIN else [(", pinned", HOME), (", unpinned", [None, None, None])]
        for label, cpus in placements:
            if cpus:
                place(nodes, cpus)
            for rate in (100, 1000):
                achieved, p50, p99, worst, n = measure_lag(work, primary, replicas, rate, lag_seconds)
                rows.append((f"lag commit→visible on replica, target {rate} tx/s{label} (achieved {achieved:.0f}, "
                             f"{n} samples)", f"p50 {p50:.2f} ms · p99 {p99:.2f} ms · max {worst:.2f} ms", "p99 ≤ 5 ms"))
        if PIN:
            place(nodes, HOME)
        warm = f"after {warmup_seconds:g} s warm-up" if warmup_seconds > 0 else "cold JVMs"
        spread = lambda xs: "–".join(f"{x:.0f}" for x in (min(xs), max(xs)))
        rows.append((f"primary write tx/s (python3, WAL, synchronous=FULL; {warm}; median of {tps_rounds} rounds "
                     f"alternating with the next row), 0 replicas", f"{alone:.0f} ({spread(alone_rounds)})", ""))
        rows.append(("primary write tx/s, 2 replicas attached",
                     f"{attached:.0f} ({spread(attached_rounds)}): {attached / alone:.0%} of 0 replicas", "≥ 90%"))
        replica_qps, plain_qps = measure_reads(work, primary, replicas[0], read_seconds)
        rows.append(("replica point reads q/s (python3, 1 connection) vs plain directory",
                     f"{replica_qps:.0f} vs {plain_qps:.0f} ({replica_qps / plain_qps:.0%})", "≥ 90%"))
        size, total, after_start = measure_snapshot(primary, replicas, snapshot_mb)
        mb = size / 1e6
        rows.append((f"snapshot transfer: wiped replica of a {mb:.0f} MB database to caught up",
                     f"{total:.1f} s incl. JVM start ({mb / total:.0f} MB/s); {after_start:.1f} s after its API is up "
                     f"({mb / after_start:.0f} MB/s)", ""))
    finally:
        for n in replicas + [primary]:
            n.stop()
        if os.environ.get("KEEP") != "1":
            shutil.rmtree(work, ignore_errors=True)
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    pin = "; pinned: primary + writer on CPU 0, replicas + readers on CPU 1" if PIN else ""
    print(f"\nReplication on loopback, {os.cpu_count()} CPUs, 3 nodes (each a JVM + FUSE mount) on one machine{pin}; "
          f"load average at the end {load} (1/5/15 min)\n")
    print("| measurement | result | goal |")
    print("|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    commands = {"writer": writer, "reader": reader, "reads": reads}
    if len(sys.argv) > 1 and sys.argv[1] in commands:
        commands[sys.argv[1]](*sys.argv[2:])
    else:
        main()
