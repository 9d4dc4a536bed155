#!/usr/bin/env bash
# The CalDAV load benchmark (`../shared/bench/run.sh`) against a fresh
# release server of this checkout: a new data directory, one user, the
# server's CPU and peak RSS sampled by the bench. This is how the tables in
# docs/performance.md are measured.
#
#   benches/dav.sh [OUT_DIR]
#
# Environment: SIZES (default 1000,10000), PHASE_SECONDS (default 5),
# PHASES, CONCURRENCY (passed to the bench); SLOTDAV_BIN (default
# target/release/slotdav, built if missing); DATABASE_URL (run on
# PostgreSQL instead of sled); CACHE (the `[storage] cache`, default
# 256MiB, the server's default); WRAP (a command the server runs under, e.g. "heaptrack -o F";
# the bench then samples the wrapper's CPU and memory); KEEP=1 keeps the
# data directory and leaves the server running (its pid and directory are
# printed).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
bench=${BENCH_DIR:-$here/../shared/bench}
out=${1:-$here/target/bench-dav/$(date +%Y%m%d-%H%M%S)}
bin=${SLOTDAV_BIN:-$here/target/release/slotdav}
[ -x "$bin" ] || (cd "$here" && cargo build --release --quiet)
[ -x "$HOME/.cache/caldav-bench/target/release/caldav-loadgen" ] || "$bench/install.sh"

work=$(mktemp -d /tmp/slotdav-bench.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
storage_url=""
[ -n "${DATABASE_URL:-}" ] && storage_url="url = \"$DATABASE_URL\""
cat > "$work/slotdav.toml" <<EOF
listen = "127.0.0.1:$port"
data_dir = "$work/data"
log = "warn"
[storage]
cache = "${CACHE:-256MiB}"
$storage_url
[limits]
quota = "100GiB"
EOF

echo bench-secret | "$bin" --config "$work/slotdav.toml" user add bench --email bench@example.org > /dev/null
${WRAP:-} "$bin" --config "$work/slotdav.toml" serve > "$work/server.log" 2>&1 &
pid=$!
stop() {
  if [ "${KEEP:-0}" = 1 ]; then
    echo "server pid $pid, data $work" >&2
  else
    kill "$pid" 2> /dev/null || true
    wait "$pid" 2> /dev/null || true
    rm -rf "$work"
  fi
}
trap stop EXIT
for _ in $(seq 100); do
  curl -sf -o /dev/null "http://127.0.0.1:$port/" && break
  sleep 0.1
done

mkdir -p "$out"
SIZES=${SIZES:-1000,10000} PHASE_SECONDS=${PHASE_SECONDS:-5} LABEL=${LABEL:-slotdav} OUT_DIR="$out" \
  "$bench/run.sh" "http://127.0.0.1:$port" bench bench-secret /dav/calendars/bench/bench/ "$pid" "$work/data"
echo "results in $out" >&2
