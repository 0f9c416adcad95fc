#!/usr/bin/env bash
# CPU time per message of each server process on the route and leaf paths, natsedge and nats-server in the
# same session: on a machine loaded by other work msgs/s swings with what else runs, CPU seconds spent per
# message much less.
#
#   bench/cpu_per_msg.sh [REPS]     # default 5 interleaved repetitions
#
# route: server A (publisher's side: client PUB parsed, RMSG out) routed to server B (subscriber's side:
#        RMSG parsed, MSG out), both nats-server or both natsedge.
# leaf:  one nats-server hub for the run; the leaf (nats-server or natsedge) is the publisher's side ("pub",
#        publish at the leaf, subscribe at the hub: PUB in, LMSG out) or the subscriber's ("recv", the other
#        way: LMSG in, MSG out).
# For each fixed natsbench pubsub run, user+sys of the measured process (/proc/<pid>/stat, all its threads,
# so GC and JIT threads count) before and after, divided by the messages the subscriber received: µs of CPU
# per message. Each process gets a discarded warm-up run first (a fresh Bun has not compiled its hot path).
# Env: MODES (default "route leaf"), SIZES (default "128 1024"), N (messages per run, default 1000000),
# WARMUP (default 300000), RUNTIME=bun|deno, KINDS (default "nats-server natsedge"; natsedge@DIR adds the
# natsedge checked out in DIR, say an earlier commit from `git archive`, to compare before and after).
# Results: bench/results/cpu-<stamp>.tsv (one line per run) and a table of medians on stdout and in
# bench/results/cpu-<stamp>.md.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
SHARED="$ROOT/../shared/bench"
. "$HERE/_servers.sh"
REPS=${1:-5}
MODES=${MODES:-route leaf}
SIZES=${SIZES:-128 1024}
N=${N:-1000000}
WARMUP=${WARMUP:-300000}
RUNTIME=${RUNTIME:-bun}
KINDS=${KINDS:-nats-server natsedge}
A_PORT=${A_PORT:-4371}
B_PORT=${B_PORT:-4372}
A_ROUTE=${A_ROUTE:-6371}
B_ROUTE=${B_ROUTE:-6372}
A_HTTP=${A_HTTP:-8371}
B_HTTP=${B_HTTP:-8372}
HUB_PORT=${HUB_PORT:-4373}
HUB_LEAF_PORT=${HUB_LEAF_PORT:-7473}
HUB_HTTP=${HUB_HTTP:-8373}
LEAF_PORT=${LEAF_PORT:-4374}
TICK=$(getconf CLK_TCK)
bench_prepare cpu_per_msg.sh
TSV="$OUTDIR/cpu-$stamp.tsv"
route_confs
leaf_confs

ticks() { # user+sys clock ticks of every thread of process $1
  awk '{ print $14 + $15 }' "/proc/$1/stat"
}

pubsub() { # pubsub PUB_PORT SUB_PORT SIZE COUNT: one natsbench run; prints the messages received
  local line
  # -max well past a run's length: a loaded machine may take long, and a run cut short measures fewer messages.
  line=$("$SHARED/bin/natsbench" pubsub -url "nats://127.0.0.1:$1" -sub-url "nats://127.0.0.1:$2" -settle 1s \
    -size "$3" -n "$4" -max 120s -label cpu)
  sed -n 's/.*"recv": *\([0-9]*\).*/\1/p' <<<"$line"
}

# measure MODE KIND SIZE REP PUB_PORT SUB_PORT SIDE=PID...: one run, CPU per message received of each named
# process.
measure() {
  local mode=$1 kind=$2 size=$3 rep=$4 pub=$5 sub=$6
  shift 6
  local before=() recv
  for sp in "$@"; do before+=("$(ticks "${sp#*=}")"); done
  recv=$(pubsub "$pub" "$sub" "$size" "$N")
  [ "${recv:-0}" -gt 0 ] || { echo "cpu_per_msg.sh: no message arrived" >&2; return 1; }
  local i=0
  for sp in "$@"; do
    local after
    after=$(ticks "${sp#*=}")
    awk -v m="$mode" -v k="$kind" -v z="$size" -v s="${sp%%=*}" -v r="$rep" -v d="$((after - ${before[$i]}))" \
      -v t="$TICK" -v n="$recv" 'BEGIN { printf "%s\t%s\t%s\t%s\t%s\t%.3f\n", m, k, z, s, r, d / t / n * 1e6 }' | tee -a "$TSV" >&2
    i=$((i + 1))
  done
}

stop_all() {
  for p in "${PIDS[@]}"; do stop_server "$p"; done
  PIDS=()
}

printf 'mode\tkind\tsize\tside\trep\tus_per_msg\n' > "$TSV"
for rep in $(seq 1 "$REPS"); do
  for mode in $MODES; do
    for kind in $KINDS; do
      echo "== repetition $rep/$REPS: $mode, $kind" >&2
      if [ "$mode" = route ]; then
        start_server "$kind" "$DIR/a.conf"; A=$STARTED; PIDS+=("$A")
        start_server "$kind" "$DIR/b.conf"; B=$STARTED; PIDS+=("$B")
        wait_routes "$A_HTTP" "$B_HTTP"
        pubsub "$A_PORT" "$B_PORT" 128 "$WARMUP" >/dev/null
        for size in $SIZES; do measure route "$kind" "$size" "$rep" "$A_PORT" "$B_PORT" "pub=$A" "recv=$B"; done
      else
        start_server nats-server "$DIR/hub.conf"; PIDS+=("$STARTED")
        wait_leafs "$HUB_HTTP" 0
        start_server "$kind" "$DIR/leaf.conf"; L=$STARTED; PIDS+=("$L")
        wait_leafs "$HUB_HTTP" 1
        pubsub "$LEAF_PORT" "$HUB_PORT" 128 "$WARMUP" >/dev/null
        pubsub "$HUB_PORT" "$LEAF_PORT" 128 "$WARMUP" >/dev/null
        for size in $SIZES; do
          measure leaf "$kind" "$size" "$rep" "$LEAF_PORT" "$HUB_PORT" "pub=$L"
          measure leaf "$kind" "$size" "$rep" "$HUB_PORT" "$LEAF_PORT" "recv=$L"
        done
      fi
      stop_all
    done
  done
done

python3 - "$TSV" <<'PY' | tee "$OUTDIR/cpu-$stamp.md"
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
kinds = list(dict.fromkeys(r["kind"] for r in rows))
runs = {}
for r in rows:
    runs.setdefault((r["mode"], r["size"], r["side"], r["kind"]), []).append(float(r["us_per_msg"]))
ref = "nats-server" if "nats-server" in kinds else kinds[0]
print("| path | size | side | " + " | ".join(f"{k} µs/msg" for k in kinds) + " | " + " | ".join(f"{k} / {ref}" for k in kinds if k != ref) + " |")
print("| --- | --- | --- |" + " --- |" * (2 * len(kinds) - 1))
for (mode, size, side) in sorted({k[:3] for k in runs}, key=lambda k: (k[0], int(k[1]), k[2])):
    med = {}
    cells = []
    for k in kinds:
        v = runs.get((mode, size, side, k), [])
        med[k] = statistics.median(v) if v else float("nan")
        cells.append(f"{med[k]:.3f} ({min(v):.3f}–{max(v):.3f}, {len(v)} runs)" if v else "-")
    ratios = [f"{med[k] / med[ref]:.2f}×" for k in kinds if k != ref]
    print(f"| {mode} | {size} | {side} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
PY
