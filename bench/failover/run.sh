#!/usr/bin/env bash
# Crash failover benchmark (issue 6): kill -9 of the primary -> first write acknowledged by the new
# primary, BENCH_RUNS runs (default 20) with lease TTL 5 s and 2 s, 3 candidates on a real 3-member
# etcd on loopback. Prints a markdown table. Needs etcd (scripts/setup installs it) and root (FUSE).
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
"$repo/scripts/setup"
./mvnw -B -q -pl ltx,fuse,store,fs,cluster -am install -DskipTests
LITECLUSTER_BENCH=1 ./mvnw -B -q -pl cli verify -Dtest=FailoverBench -Dsurefire.failIfNoSpecifiedTests=false
out="$repo/cli/target/surefire-reports/dev.litecluster.cli.cluster.FailoverBench-output.txt"
grep -E "^(ttl [0-9]+ s, run|handoff run)" "$out"
grep -E '^(kill|handoff under|\|)' "$out"
