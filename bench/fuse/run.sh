#!/usr/bin/env bash
# bench/run fuse: SQLite through a plain directory, bindfs, and our FUSE passthrough.
# ROUNDS=3 (interleaved rounds, medians reported), PIN=1 pins everything to CPU 0,
# WRITES=5000, READS=100000.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
here="$repo/bench/fuse"
cd "$repo"
. "$repo/scripts/jdk25.sh"
ROUNDS="${ROUNDS:-3}"
WRITES="${WRITES:-5000}"
READS="${READS:-100000}"
pin=()
[ "${PIN:-0}" = 1 ] && pin=(taskset -c 0)

command -v bindfs >/dev/null || { echo "bindfs missing: apt-get install -y bindfs" >&2; exit 1; }

./mvnw -q -B -pl fuse -am install -DskipTests
cp_file="$repo/fuse/target/bench-classpath.txt"
./mvnw -q -B -pl fuse dependency:build-classpath -Dmdep.outputFile="$cp_file" >/dev/null
classpath="$repo/fuse/target/classes:$repo/fuse/target/test-classes:$(cat "$cp_file")"

work="$(mktemp -d /var/tmp/fuse-bench.XXXXXX)"
mkdir -p "$work"/{plain,bindfs-back,bindfs,ours-back,ours}
java_pid=""
cleanup() {
  mountpoint -q "$work/bindfs" && fusermount3 -u "$work/bindfs" || true
  if [ -n "$java_pid" ]; then kill -TERM "$java_pid" 2>/dev/null || true; wait "$java_pid" 2>/dev/null || true; fi
  mountpoint -q "$work/ours" && umount -l "$work/ours" || true
  rm -rf "$work"
}
trap cleanup EXIT

"${pin[@]}" bindfs "$work/bindfs-back" "$work/bindfs"
"${pin[@]}" java --enable-native-access=ALL-UNNAMED -Xmx1g -cp "$classpath" \
  -Dlogback.configurationFile="$here/logback-bench.xml" \
  dev.litecluster.fuse.PassthroughMain "$work/ours-back" "$work/ours" --direct-io=-wal,-journal \
  > "$work/ours.log" 2>&1 &
java_pid=$!
for _ in $(seq 100); do grep -q MOUNTED "$work/ours.log" && break; sleep 0.1; done
grep -q MOUNTED "$work/ours.log" || { cat "$work/ours.log"; exit 1; }

dir_of() { case "$1" in plain) echo "$work/plain";; bindfs) echo "$work/bindfs";; ours) echo "$work/ours";; esac; }
bench() { "${pin[@]}" python3 "$here/sqlite_bench.py" "$(dir_of "$1")" "$2" "$3" "$4"; }

echo "warming up the JIT of our FUSE server..." >&2
for mode in WAL DELETE; do bench ours "$mode" 1000 20000 >/dev/null; done

raw="$work/results.txt"
for round in $(seq "$ROUNDS"); do
  for config in plain bindfs ours; do
    for mode in WAL DELETE; do
      result="$(bench "$config" "$mode" "$WRITES" "$READS")"
      echo "$config $mode $result" | tee -a "$raw" >&2
    done
  done
done
echo
python3 "$here/table.py" "$raw"
