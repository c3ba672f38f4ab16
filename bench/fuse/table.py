"""Medians of the raw results (lines: config mode write_tps read_qps) as one markdown table.

usage: table.py <raw results> <subject config> <reference config>... [--names config=Label ...]
The subject is compared with each reference (ratio columns: the ratio of the medians, then the
range of the ratios round by round, each round's runs having run one after another).
"""
import statistics
import sys

raw, subject, *rest = sys.argv[1:]
references = [a for a in rest if "=" not in a]
names = dict(a.split("=", 1) for a in rest if "=" in a)
label = lambda config: names.get(config, config)

results = {}
for line in open(raw):
    config, mode, w, r = line.split()
    results.setdefault((config, mode, "write"), []).append(float(w))
    results.setdefault((config, mode, "read"), []).append(float(r))
rounds = len(results.get((subject, "WAL", "write"), []))

def med(config, mode, kind):
    values = results.get((config, mode, kind))
    return statistics.median(values) if values else float("nan")

def paired(mode, kind, reference):
    pairs = [s / r for s, r in zip(results.get((subject, mode, kind), []), results.get((reference, mode, kind), []))]
    return f" ({min(pairs):.2f}–{max(pairs):.2f})" if len(pairs) > 1 else ""

rows = [("WAL+NORMAL write tx/s", "WAL", "write"), ("WAL read q/s", "WAL", "read"),
        ("DELETE+FULL write tx/s", "DELETE", "write"), ("DELETE read q/s", "DELETE", "read")]
configs = references + [subject]
print(f"medians of {rounds} rounds\n")
print("| workload | " + " | ".join(label(c) for c in configs) + " | " + " | ".join(f"vs {label(r)}" for r in references) + " |")
print("|---" * (1 + len(configs) + len(references)) + "|")
for text, mode, kind in rows:
    values = {c: med(c, mode, kind) for c in configs}
    spread = results.get((subject, mode, kind), [])
    rng = f" ({min(spread):.0f}–{max(spread):.0f})" if len(spread) > 1 else ""
    cells = [f"{values[c]:.0f}" + (rng if c == subject else "") for c in configs]
    ratios = [f"{values[subject] / values[r]:.2f}×" + paired(mode, kind, r) for r in references]
    print(f"| {text} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
