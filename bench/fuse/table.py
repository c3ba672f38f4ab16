"""Medians of the raw results (lines: config mode write_tps read_qps) as one markdown table."""
import statistics
import sys

results = {}
for line in open(sys.argv[1]):
    config, mode, w, r = line.split()
    results.setdefault((config, mode, "write"), []).append(float(w))
    results.setdefault((config, mode, "read"), []).append(float(r))
rounds = len(results.get(("plain", "WAL", "write"), []))

def med(config, mode, kind):
    values = results.get((config, mode, kind))
    return statistics.median(values) if values else float("nan")

rows = [("WAL+NORMAL write tx/s", "WAL", "write"), ("WAL read q/s", "WAL", "read"),
        ("DELETE+FULL write tx/s", "DELETE", "write"), ("DELETE read q/s", "DELETE", "read")]
print(f"medians of {rounds} rounds\n")
print("| workload | plain dir | bindfs | litecluster passthrough | vs bindfs | vs plain |")
print("|---|---|---|---|---|---|")
for label, mode, kind in rows:
    plain, bindfs, ours = (med(c, mode, kind) for c in ("plain", "bindfs", "ours"))
    spread = results.get(("ours", mode, kind), [])
    rng = f" ({min(spread):.0f}–{max(spread):.0f})" if len(spread) > 1 else ""
    print(f"| {label} | {plain:.0f} | {bindfs:.0f} | {ours:.0f}{rng} | {ours / bindfs:.2f}× | {ours / plain:.0%} |")
