#!/usr/bin/env bash
# Pub/sub across a route, side by side in one session, with ../shared/bench's natsbench: a publisher on
# server A, its subscriber on server B, B routed to A. Pairs: nats-server–nats-server (the reference),
# natsedge–nats-server (natsedge on the publishing side) and natsedge–natsedge.
#
#   bench/route_compare.sh [REPS]     # default 3 interleaved repetitions
#
# Per repetition and pair, both servers start fresh and the script waits until each /routez shows the
# route; after a discarded warm-up run, natsbench pubsub measures msgs/s at the subscriber at 128 B and 1 KiB.
# Env: N (messages per run, default 2000000, a few seconds per run), WARMUP (default 300000), RUNTIME=bun|deno.
# Results: bench/results/route-<pair>-<stamp>.jsonl and a summary table on stdout and in
# bench/results/route-compare-<stamp>.md.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
SHARED="$ROOT/../shared/bench"
. "$HERE/_servers.sh"
REPS=${1:-3}
N=${N:-2000000}
WARMUP=${WARMUP:-300000}
RUNTIME=${RUNTIME:-bun}
A_PORT=${A_PORT:-4361}
B_PORT=${B_PORT:-4362}
A_ROUTE=${A_ROUTE:-6361}
B_ROUTE=${B_ROUTE:-6362}
A_HTTP=${A_HTTP:-8361}
B_HTTP=${B_HTTP:-8362}
bench_prepare route_compare.sh
route_confs

start() { # start KIND CONF
  start_server "$1" "$2"
  PIDS+=("$STARTED")
}

stop_all() {
  for p in "${PIDS[@]}"; do stop_server "$p"; done
  PIDS=()
}

for rep in $(seq 1 "$REPS"); do
  for pair in nats-server:nats-server natsedge:nats-server natsedge:natsedge; do
    a=${pair%%:*}
    b=${pair##*:}
    echo "== repetition $rep/$REPS: publisher on $a, subscriber on $b" >&2
    start "$a" "$DIR/a.conf"
    start "$b" "$DIR/b.conf"
    wait_routes "$A_HTTP" "$B_HTTP"
    # A fresh Bun process runs its first few hundred thousand messages before the JIT has compiled the hot
    # path; a 0.2 s run measures mostly that. Every pair gets the same discarded warm-up.
    "$SHARED/bin/natsbench" pubsub -url "nats://127.0.0.1:$A_PORT" -sub-url "nats://127.0.0.1:$B_PORT" -settle 1s \
      -size 128 -n "$WARMUP" -label warmup > /dev/null
    for size in 128 1024; do
      "$SHARED/bin/natsbench" pubsub -url "nats://127.0.0.1:$A_PORT" -sub-url "nats://127.0.0.1:$B_PORT" -settle 1s \
        -size "$size" -n "$N" -label "route-$a-$b" -rep "$rep" >> "$OUTDIR/route-$a-$b-$stamp.jsonl"
    done
    stop_all
  done
done

"$SHARED/bin/natsbench" summarize "$OUTDIR"/route-*-"$stamp".jsonl | tee "$OUTDIR/route-compare-$stamp.md"
