"""Bank-transfer workload for the cluster tests: transfers keep the sum of balances constant.

  bank.py write  DB SECONDS SEED     transfer money until SECONDS have passed; prints transfers=N
  bank.py read   DB STOPFILE         until STOPFILE exists: check the sum never changes and the
                                     transfer count never goes back; prints reads= versions= busy=
  bank.py hold   DB SECONDS          one read transaction held for SECONDS (prints "holding" once it
                                     has begun): both reads in it must agree
"""
import os
import random
import sqlite3
import sys
import time

ACCOUNTS = 100
TOTAL = ACCOUNTS * 1000
BUSY = ("database is locked", "database is busy", "locking protocol")


def connect(path):
    return sqlite3.connect(path, isolation_level=None, timeout=60)


def snapshot(c):
    """(sum of balances, number of transfers), read in one transaction."""
    return c.execute("SELECT (SELECT sum(balance) FROM accounts), (SELECT count(*) FROM transfers)").fetchone()


def wait_for_database(path, seconds=120):
    """A replica gets the database from the primary: wait until its tables are readable."""
    deadline = time.time() + seconds
    while True:
        try:
            if os.path.exists(path):
                c = connect(path)
                snapshot(c)
                return c
        except sqlite3.OperationalError:
            pass
        if time.time() > deadline:
            sys.exit(f"{path}: the database did not appear in {seconds} s")
        time.sleep(0.05)


def write(path, seconds, seed):
    c = connect(path)
    rnd = random.Random(int(seed))
    end = time.time() + float(seconds)
    n = 0
    while time.time() < end:
        a, b = rnd.sample(range(1, ACCOUNTS + 1), 2)
        amount = rnd.randint(1, 50)
        c.execute("BEGIN IMMEDIATE")
        c.execute("UPDATE accounts SET balance = balance - ? WHERE id = ?", (amount, a))
        c.execute("UPDATE accounts SET balance = balance + ? WHERE id = ?", (amount, b))
        c.execute("INSERT INTO transfers(src, dst, amount, writer) VALUES (?, ?, ?, 'python')", (a, b, amount))
        c.execute("COMMIT")
        n += 1
    print(f"transfers={n}")


def read(path, stopfile):
    c = wait_for_database(path)
    reads = busy = 0
    last = -1
    versions = set()
    while not os.path.exists(stopfile):
        try:
            total, count = snapshot(c)
        except sqlite3.OperationalError as e:
            if any(b in str(e) for b in BUSY):
                busy += 1
                continue
            raise
        reads += 1
        if total != TOTAL:
            sys.exit(f"INVARIANT BROKEN: sum of balances is {total}, expected {TOTAL} (after {count} transfers)")
        if count < last:
            sys.exit(f"WENT BACK: {count} transfers after {last}")
        last = count
        versions.add(count)
    print(f"reads={reads} versions={len(versions)} busy={busy} last={last}")


def hold(path, seconds):
    c = wait_for_database(path)
    c.execute("BEGIN")
    first = snapshot(c)
    print("holding", flush=True)
    time.sleep(float(seconds))
    second = snapshot(c)
    c.execute("COMMIT")
    after = snapshot(c)
    print(f"first={first} second={second} after={after}")
    if first != second or first[0] != TOTAL:
        sys.exit("INCONSISTENT read transaction")


if __name__ == "__main__":
    {"write": write, "read": read, "hold": hold}[sys.argv[1]](*sys.argv[2:])
