#!/usr/bin/env bash
# Idle cost of one chordnode with default settings: CPU and memory of a serve node in a
# ring of three on 127.0.0.1, over SECONDS (default 60) after the ring has settled.
#   tools/bench-idle.sh [CHORDNODE] [SECONDS]
# Every process it starts, it ends (by pid) on exit.
set -euo pipefail
bin=${1:-build/release/tools/chordnode}
seconds=${2:-60}
[ -x "$bin" ] || { echo "bench-idle: no $bin (build first)" >&2; exit 2; }
out=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$out"; }
trap cleanup EXIT

endpoint() {  # waits (up to 10 s) for a node's "joined ... at HOST:PORT" line
  for _ in $(seq 100); do
    line=$(grep -m1 "joined the ring" "$1" 2>/dev/null || true)
    [ -n "$line" ] && { echo "${line##* at }"; return; }
    sleep 0.1
  done
  echo "bench-idle: a node did not join" >&2; exit 1
}
"$bin" serve --listen 127.0.0.1:0 --new-ring > "$out/a" & pids+=($!)
first=$(endpoint "$out/a")
"$bin" serve --listen 127.0.0.1:0 --bootstrap "$first" > "$out/b" & pids+=($!); measured=$!
"$bin" serve --listen 127.0.0.1:0 --bootstrap "$first" > "$out/c" & pids+=($!)
endpoint "$out/b" > /dev/null; endpoint "$out/c" > /dev/null
sleep 5  # let stabilization settle

ticks() { awk '{print $14 + $15}' "/proc/$measured/stat"; }
hz=$(getconf CLK_TCK)
before=$(ticks); start=$(date +%s.%N)
sleep "$seconds"
after=$(ticks); end=$(date +%s.%N)
rss=$(awk '/VmRSS/ {print $2}' "/proc/$measured/status")
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$measured/status")
awk -v t=$((after - before)) -v hz="$hz" -v s="$start" -v e="$end" -v rss="$rss" -v hwm="$hwm" 'BEGIN {
  wall = e - s
  printf "idle chordnode serve (ring of 3, default settings), %.0f s: CPU %.3f%% (%d ticks at %d Hz), RSS %.1f MiB (peak %.1f MiB)\n",
         wall, 100 * t / hz / wall, t, hz, rss / 1024, hwm / 1024 }'
