#!/usr/bin/env bash
# Idle cost of one chordnode with default settings: CPU and memory of a serve node in a
# ring of three on 127.0.0.1, over SECONDS (default 60) after the ring has settled (SETTLE,
# default 90 s: a quiet ring takes about 63 s to back its periods off to 32 s).
#   tools/bench-idle.sh [CHORDNODE] [SECONDS] [SETTLE]
# Every process it starts, it ends (by pid) on exit.
set -euo pipefail
bin=${1:-build/release/tools/chordnode}
seconds=${2:-60}
settle=${3:-90}
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
sleep "$settle"  # let stabilization settle and the maintenance periods back off

# CPU time in nanoseconds and timeslices from schedstat: exact, where the 10 ms ticks of
# /proc/PID/stat are too coarse at this level.
cpu_ns() { awk '{print $1}' "/proc/$measured/schedstat"; }
slices() { awk '{print $3}' "/proc/$measured/schedstat"; }
before=$(cpu_ns); slices_before=$(slices); start=$(date +%s.%N)
sleep "$seconds"
after=$(cpu_ns); slices_after=$(slices); end=$(date +%s.%N)
rss=$(awk '/VmRSS/ {print $2}' "/proc/$measured/status")
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$measured/status")
awk -v t=$((after - before)) -v n=$((slices_after - slices_before)) -v s="$start" -v e="$end" \
    -v rss="$rss" -v hwm="$hwm" 'BEGIN {
  wall = e - s
  printf "idle chordnode serve (ring of 3, default settings), %.0f s: CPU %.3f%% (%.1f ms in %d timeslices, %.2f wakeups/s), RSS %.1f MiB (peak %.1f MiB)\n",
         wall, 100 * t / 1e9 / wall, t / 1e6, n, n / wall, rss / 1024, hwm / 1024 }'
