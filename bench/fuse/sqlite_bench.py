"""One measurement: N one-row write transactions, then M point SELECTs, on a fresh database.

usage: sqlite_bench.py <dir> <WAL|DELETE> <writes> <reads> [<database name>]
prints: <write tx/s> <read q/s>
A Litecluster mount does not delete databases: give each run its own name there.
"""
import os
import random
import sqlite3
import sys
import time

directory, mode, writes, reads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
db = os.path.join(directory, sys.argv[5] if len(sys.argv) > 5 else "bench.db")
for suffix in ("", "-wal", "-shm", "-journal"):
    if os.path.exists(db + suffix):
        os.remove(db + suffix)

c = sqlite3.connect(db, isolation_level=None)
c.execute("PRAGMA journal_mode=" + mode)
c.execute("PRAGMA synchronous=" + ("NORMAL" if mode == "WAL" else "FULL"))
c.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
row = "x" * 90
start = time.perf_counter()
for i in range(writes):
    c.execute("BEGIN")
    c.execute("INSERT INTO t(v) VALUES (?)", (row,))
    c.execute("COMMIT")
write_rate = writes / (time.perf_counter() - start)
c.close()

c = sqlite3.connect(db, isolation_level=None)
c.execute("PRAGMA synchronous=" + ("NORMAL" if mode == "WAL" else "FULL"))
rnd = random.Random(42)
ids = [rnd.randint(1, writes) for _ in range(reads)]
start = time.perf_counter()
for i in ids:
    c.execute("SELECT v FROM t WHERE id = ?", (i,)).fetchone()
read_rate = reads / (time.perf_counter() - start)
c.close()
print(f"{write_rate:.0f} {read_rate:.0f}")
