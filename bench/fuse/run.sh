#!/usr/bin/env bash
# SQLite from python3 through several directories, one table of medians.
#   bench/run fuse     plain directory vs bindfs vs our FUSE passthrough
#   bench/run capture  plain directory vs our passthrough vs the capturing Litecluster mount
# ROUNDS=3 (interleaved rounds, medians reported), PIN=1 pins everything to CPU 0,
# WRITES=5000, READS=100000, WARMUP_WAL=50000 and WARMUP=WRITES (writes in WAL, DELETE, then WAL mode
# through each FUSE server before the rounds, for the JIT: pinned to one CPU, C2 competes with the
# workload, and the capturing mount's WAL rate still climbs from 9k to 29k tx/s over its first
# 40,000 transactions). BENCH_DIR picks the disk (default /var/tmp).
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
here="$repo/bench/fuse"
cd "$repo"
. "$repo/scripts/jdk25.sh"
suite="${1:-fuse}"
ROUNDS="${ROUNDS:-3}"
WRITES="${WRITES:-5000}"
READS="${READS:-100000}"
WARMUP="${WARMUP:-$WRITES}"
WARMUP_WAL="${WARMUP_WAL:-50000}"
pin=()
[ "${PIN:-0}" = 1 ] && pin=(taskset -c 0)
case "$suite" in
  fuse) configs=(plain bindfs ours); subject=ours; references=(plain bindfs) ;;
  capture) configs=(plain ours litecluster); subject=litecluster; references=(plain ours) ;;
  *) echo "usage: run.sh fuse|capture" >&2; exit 2 ;;
esac
has() { [[ " ${configs[*]} " == *" $1 "* ]]; }
has bindfs && ! command -v bindfs >/dev/null && { echo "bindfs missing: apt-get install -y bindfs" >&2; exit 1; }

./mvnw -q -B -Dmaven.test.skip=true install
./mvnw -q -B -pl fuse test-compile
cp_file="$repo/fuse/target/bench-classpath.txt"
./mvnw -q -B -pl fuse dependency:build-classpath -Dmdep.outputFile="$cp_file" >/dev/null
classpath="$repo/fuse/target/classes:$repo/fuse/target/test-classes:$(cat "$cp_file")"

work="$(mktemp -d "${BENCH_DIR:-/var/tmp}/litecluster-bench.XXXXXX")"
mkdir -p "$work"/{plain,bindfs-back,bindfs,ours-back,ours,litecluster,litecluster-data}
pids=()
cleanup() {
  mountpoint -q "$work/bindfs" && fusermount3 -u "$work/bindfs" || true
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  for m in ours litecluster; do mountpoint -q "$work/$m" && umount -l "$work/$m" || true; done
  rm -rf "$work"
}
trap cleanup EXIT
java_opts=(--enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -Xmx1g
  -Dlogback.configurationFile="$here/logback-bench.xml")

if has bindfs; then "${pin[@]}" bindfs "$work/bindfs-back" "$work/bindfs"; fi
if has ours; then
  "${pin[@]}" java "${java_opts[@]}" -cp "$classpath" dev.litecluster.fuse.PassthroughMain \
    "$work/ours-back" "$work/ours" --direct-io=-wal,-journal > "$work/ours.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do grep -q MOUNTED "$work/ours.log" && break; sleep 0.1; done
  grep -q MOUNTED "$work/ours.log" || { cat "$work/ours.log"; exit 1; }
fi
if has litecluster; then
  port=$((20000 + RANDOM % 10000))
  printf 'fuse: {dir: %s}\ndata: {dir: %s}\nhttp: {addr: "127.0.0.1:%s"}\n' \
    "$work/litecluster" "$work/litecluster-data" "$port" > "$work/litecluster.yml"
  "${pin[@]}" java "${java_opts[@]}" -jar "$repo/cli/target/litecluster.jar" mount -c "$work/litecluster.yml" \
    > "$work/litecluster.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 200); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
  curl -sf "http://127.0.0.1:$port/health" >/dev/null || { cat "$work/litecluster.log"; exit 1; }
fi

# Each run gets a fresh database name (argument 5): the capturing mount does not delete databases.
bench() { "${pin[@]}" python3 "$here/sqlite_bench.py" "$work/$1" "$2" "$3" "$4" "$5.db"; }

echo "warming up the JIT of our FUSE servers..." >&2
for config in "${configs[@]}"; do
  [ "$config" = plain ] || [ "$config" = bindfs ] || {
    bench "$config" WAL "$WARMUP_WAL" 20000 warmup-WAL >/dev/null
    bench "$config" DELETE "$WARMUP" 20000 warmup-DELETE >/dev/null
    # WAL again: the capturing mount's first WAL run after its first DELETE run was 19-20k tx/s
    # against 28k for every later one (C2 recompiling what the DELETE path made polymorphic).
    bench "$config" WAL "$WARMUP_WAL" 20000 warmup-WAL2 >/dev/null
  }
done

raw="$work/results.txt"
for round in $(seq "$ROUNDS"); do
  for config in "${configs[@]}"; do
    for mode in WAL DELETE; do
      result="$(bench "$config" "$mode" "$WRITES" "$READS" "round$round-$mode")"
      echo "$config $mode $result" | tee -a "$raw" >&2
    done
  done
done
echo
python3 "$here/table.py" "$raw" "$subject" "${references[@]}" plain="plain dir" ours="litecluster passthrough" \
  litecluster="capturing mount"
