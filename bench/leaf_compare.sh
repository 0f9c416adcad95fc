#!/usr/bin/env bash
# natsedge as a leaf vs nats-server as a leaf, side by side in one session, with ../shared/bench's natsbench.
#
#   bench/leaf_compare.sh [REPS]     # default 3 interleaved repetitions
#
# One nats-server 2.9.10 hub for the whole run. Per repetition and leaf kind, a fresh leaf dials the hub,
# then natsbench pubsub measures msgs/s at the subscriber, publishing at the leaf and subscribing at the hub
# ("up") and the other way ("down"), at 128 B and 1 KiB, each after a discarded warm-up run per direction;
# the leaf's RSS is sampled by natsbench (-server-pid) and tabled after the throughput (with jq). The two
# leaves never run at the same time.
# Env: N (messages per run, default 2000000, a few seconds per run), WARMUP (default 300000),
# RUNTIME=bun|deno. Results: bench/results/leaf-<kind>-<stamp>.jsonl and a summary table on stdout and in
# bench/results/leaf-compare-<stamp>.md.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
SHARED="$ROOT/../shared/bench"
. "$HERE/_servers.sh"
REPS=${1:-3}
N=${N:-2000000}
WARMUP=${WARMUP:-300000}
RUNTIME=${RUNTIME:-bun}
HUB_PORT=${HUB_PORT:-4351}
HUB_LEAF_PORT=${HUB_LEAF_PORT:-7451}
HUB_HTTP=${HUB_HTTP:-8351}
LEAF_PORT=${LEAF_PORT:-4352}
bench_prepare leaf_compare.sh
leaf_confs

start_leaf() {
  start_server "$1" "$DIR/leaf.conf"
  LEAF_PID=$STARTED
  PIDS=("$HUB_PID" "$LEAF_PID")
  wait_leafs "$HUB_HTTP" 1
}

stop_leaf() {
  stop_server "$LEAF_PID"
  PIDS=("$HUB_PID")
  wait_leafs "$HUB_HTTP" 0
}

start_server nats-server "$DIR/hub.conf"
HUB_PID=$STARTED
PIDS=("$HUB_PID")
wait_leafs "$HUB_HTTP" 0

for rep in $(seq 1 "$REPS"); do
  for kind in nats-server natsedge; do
    echo "== repetition $rep/$REPS: $kind leaf" >&2
    start_leaf "$kind"
    out="$OUTDIR/leaf-$kind-$stamp.jsonl"
    # A fresh Bun process runs its first few hundred thousand messages before the JIT has compiled the hot
    # path; a 0.2 s run measures mostly that. Both kinds get the same discarded warm-up, both directions.
    "$SHARED/bin/natsbench" pubsub -url "nats://127.0.0.1:$LEAF_PORT" -sub-url "nats://127.0.0.1:$HUB_PORT" -settle 1s \
      -size 128 -n "$WARMUP" -label warmup > /dev/null
    "$SHARED/bin/natsbench" pubsub -url "nats://127.0.0.1:$HUB_PORT" -sub-url "nats://127.0.0.1:$LEAF_PORT" -settle 1s \
      -size 128 -n "$WARMUP" -label warmup > /dev/null
    for size in 128 1024; do
      "$SHARED/bin/natsbench" pubsub -url "nats://127.0.0.1:$LEAF_PORT" -sub-url "nats://127.0.0.1:$HUB_PORT" -settle 1s \
        -size "$size" -n "$N" -server-pid "$LEAF_PID" -label "$kind-leaf-up" -rep "$rep" >> "$out"
      "$SHARED/bin/natsbench" pubsub -url "nats://127.0.0.1:$HUB_PORT" -sub-url "nats://127.0.0.1:$LEAF_PORT" -settle 1s \
        -size "$size" -n "$N" -server-pid "$LEAF_PID" -label "$kind-leaf-down" -rep "$rep" >> "$out"
    done
    stop_leaf
  done
done

{
  "$SHARED/bin/natsbench" summarize "$OUTDIR/leaf-nats-server-$stamp.jsonl" "$OUTDIR/leaf-natsedge-$stamp.jsonl"
  # natsbench's summary has no memory column; the issue's figure is the leaf's RSS, so its medians follow.
  echo
  echo "### Leaf RSS at the end of each run (MB, median / highest high-water mark)"
  echo
  echo "| run | size B | RSS | peak |"
  echo "| --- | --- | --- | --- |"
  jq -rs 'group_by([.label, .size])[] | (map(.server_rss_kb) | sort) as $r | (map(.server_hwm_kb) | max) as $h
    | "| \(.[0].label) | \(.[0].size) | \($r[($r | length) / 2 | floor] / 1024 | floor) | \($h / 1024 | floor) |"' \
    "$OUTDIR/leaf-nats-server-$stamp.jsonl" "$OUTDIR/leaf-natsedge-$stamp.jsonl"
} | tee "$OUTDIR/leaf-compare-$stamp.md"
