#!/usr/bin/env bash
# What a stream import costs per message: the server's CPU per message with the publisher in account A and
# the subscriber in B (B importing A's bench.>) against the same pubsub in the global account, in adjacent
# pairs so that a loaded machine's drift falls on both halves of each pair alike.
#
#   bench/accounts_pairs.sh [REPS] [N]     # default 6 repetitions of 2000000 messages
#
# Per repetition and kind (KINDS, default "natsedge nats-server"; natsedge@DIR adds a natsedge checked out
# in DIR, to compare before and after), a fresh server per config (the order alternating between
# repetitions), a discarded warm-up run, then nats.go pubsub (natsbench -client natsgo; the raw client has
# no user and password) at each of SIZES (default "16 128"). The figure is user+sys of the server process
# over the messages sent; the summary gives each kind's medians and the median of the pairs' import/global
# ratios, the figure to read on a shared machine. Env: RUNTIME=bun|deno, PORT.
# Results: bench/results/accounts-pairs-<stamp>.tsv and the summary on stdout and in
# bench/results/accounts-pairs-<stamp>.md.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
SHARED="$ROOT/../shared/bench"
. "$HERE/_servers.sh"
REPS=${1:-6}
N=${2:-2000000}
KINDS=${KINDS:-"natsedge nats-server"}
SIZES=${SIZES:-"16 128"}
RUNTIME=${RUNTIME:-bun}
PORT=${PORT:-4381}
bench_prepare accounts_pairs.sh
TSV="$OUTDIR/accounts-pairs-$stamp.tsv"

import_confs "$PORT"

for rep in $(seq 1 "$REPS"); do
  order="global import"
  [ $((rep % 2)) -eq 0 ] && order="import global"
  for kind in $KINDS; do
    for conf in $order; do
      echo "== repetition $rep/$REPS: $kind $conf" >&2
      start_server "$kind" "$DIR/$conf.conf"
      PID=$STARTED
      PIDS=("$PID")
      wait_port "$PORT"
      url="nats://127.0.0.1:$PORT"
      sub_url="$url"
      [ "$conf" = import ] && sub_url="nats://b:b@127.0.0.1:$PORT"
      SERVER_PID=$PID "$SHARED/bin/natsbench" pubsub -client natsgo -url "$url" -sub-url "$sub_url" -size 16 -n $((N / 4)) -label warm-up > /dev/null
      for size in $SIZES; do
        SERVER_PID=$PID "$SHARED/bin/natsbench" pubsub -client natsgo -url "$url" -sub-url "$sub_url" -size "$size" -n "$N" -label "$kind-$conf" -rep "$rep" |
          jq -r --arg kind "$kind" --arg conf "$conf" --arg rep "$rep" \
            '[$kind, $conf, $rep, .size, (.server_cpu * .elapsed_s / .sent * 1e6), .msgs_per_s] | @tsv' >> "$TSV"
      done
      stop_server "$PID"
    done
  done
done

python3 - "$TSV" <<'PY' | tee "$OUTDIR/accounts-pairs-$stamp.md"
import statistics as st, sys
from collections import defaultdict
cpu = defaultdict(dict)
for line in open(sys.argv[1]):
    kind, conf, rep, size, us, _rate = line.split("\t")
    cpu[(kind, int(size))].setdefault(conf, {})[rep] = float(us)
print("\n### Server CPU per message sent (µs), a stream import against the global account\n")
print("| kind | size B | global | import | import/global (median of pairs) | pairs' range |")
print("| --- | --- | --- | --- | --- | --- |")
for (kind, size), by in sorted(cpu.items()):
    g, i = by.get("global", {}), by.get("import", {})
    pairs = [i[r] / g[r] for r in g if r in i]
    if not pairs:
        continue
    print(f"| {kind} | {size} | {st.median(g.values()):.3f} | {st.median(i.values()):.3f} | {st.median(pairs):.3f} | {min(pairs):.2f}-{max(pairs):.2f} |")
PY
