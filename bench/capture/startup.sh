#!/usr/bin/env bash
# bench/run startup: how long a node takes to mount, and its memory, with a large database.
# For each size (SIZES_GB, default "1 10"): builds a database of that size in the data dir,
# starts the node once (it imports the file as its first transaction), stops it, then starts it
# again and times the restart: the checksum state is persisted, so no database page is read.
# BENCH_DIR picks the disk (default /var/tmp); it needs SIZES_GB summed, twice over, of free space.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
. "$repo/scripts/jdk25.sh"
SIZES_GB="${SIZES_GB:-1 10}"
./mvnw -q -B -Dmaven.test.skip=true install
work="$(mktemp -d "${BENCH_DIR:-/var/tmp}/litecluster-startup.XXXXXX")"
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  mountpoint -q "$work/mnt" && umount -l "$work/mnt" || true
  rm -rf "$work"
}
trap cleanup EXIT
port=$((20000 + RANDOM % 10000))
printf 'fuse: {dir: %s/mnt}\ndata: {dir: %s/data}\nhttp: {addr: "127.0.0.1:%s"}\n' "$work" "$work" "$port" > "$work/node.yml"

# Starts the node; sets `elapsed` to the seconds until the database's -pos file is readable through the mount.
start_node() {
  local begin=$(date +%s.%N)
  java --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -Xmx1g \
    -jar "$repo/cli/target/litecluster.jar" mount -c "$work/node.yml" > "$work/node.log" 2>&1 &
  pid=$!
  until cat "$work/mnt/big.db-pos" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || { cat "$work/node.log" >&2; exit 1; }
    sleep 0.02
  done
  elapsed=$(echo "$(date +%s.%N) - $begin" | bc)
}
stop_node() { kill "$pid"; wait "$pid" || true; pid=""; }
rss_mb() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$pid/status"; }

echo "| database | first start (imports the file) | restart: process start → mounted | restart RSS |"
echo "|---|---|---|---|"
for gb in $SIZES_GB; do
  rm -rf "$work/data" && mkdir -p "$work/data/dbs/big.db" "$work/mnt"
  sqlite3 "$work/data/dbs/big.db/database" "PRAGMA page_size=4096; CREATE TABLE t(b BLOB);
    INSERT INTO t SELECT randomblob(1000000) FROM generate_series(1, $((gb * 1024)));"
  start_node; first=$elapsed; stop_node
  start_node; restart=$elapsed; sleep 1; rss=$(rss_mb); stop_node
  printf '| %s GiB | %.1f s | %.2f s | %s MB |\n' "$gb" "$first" "$restart" "$rss"
done
