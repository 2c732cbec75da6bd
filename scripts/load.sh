#!/usr/bin/env bash
# Load test of the web app (issue: p99 under 20 ms at 200 requests/s on a 2-core machine).
# Starts `knots serve --demo` from a release build and drives the body-map page and /api/find with
# wrk at a held rate: 4 connections, each pausing 20 ms between requests (wrk's `delay` hook), which
# gives about 200 requests/s in all. Prints wrk's latency distribution for each URL.
# Usage: scripts/load.sh [seconds]   (needs the Debian package wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
command -v wrk >/dev/null || { echo "install wrk (apt-get install wrk)" >&2; exit 1; }
cargo build --release --quiet --bin knots
tmp=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
./target/release/knots --db "$tmp/demo.db" serve --demo --listen "127.0.0.1:$port" >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 1 50); do curl -fs -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.2; done
cat >"$tmp/pace.lua" <<'LUA'
function delay() return 20 end
LUA
for path in "/" "/?region=lateral_knee&side=left&context=during_run" "/api/find?region=lateral_knee&side=left&context=during_run"; do
  echo "== $path"
  wrk -t2 -c4 -d"${secs}s" --latency -s "$tmp/pace.lua" "http://127.0.0.1:$port$path" | grep -E 'Latency|50%|90%|99%|Requests/sec|requests in'
done
