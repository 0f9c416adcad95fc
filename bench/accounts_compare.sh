#!/usr/bin/env bash
# Pub/sub with accounts configured against the global account, side by side in one session, with
# ../shared/bench's natsbench, on natsedge and on nats-server 2.9.10.
#
#   bench/accounts_compare.sh [REPS]     # default 4 interleaved repetitions
#
# Configs: "global" (no accounts: every client in $G), "accounts" (accounts A and B, B importing a stream
# and a service from A, A with a subject mapping, no_auth_user putting the benchmark's clients in A) and
# "import" (B importing A's bench.> stream: the publisher in A through no_auth_user, the subscriber in B with
# user b, so every message crosses the import). Per repetition each server starts fresh with each config (the
# order alternating between repetitions), takes a discarded warm-up run (a fresh Bun has not compiled its hot
# path), and natsbench runs: on global and accounts, pubsub at 16 B, 128 B and 1 KiB and a 4-subscriber
# fan-out at 128 B with the raw client; on global and import, pubsub at 16 B and 128 B with nats.go (the raw
# client has no user and password), labelled "-natsgo" on global.
# Env: N (messages per pubsub run, default 2000000), RUNTIME=bun|deno, PORT.
# Results: bench/results/accounts-<label>-<stamp>.jsonl, and on stdout and in
# bench/results/accounts-compare-<stamp>.md the summary table and the server's CPU per message (the measured
# phase's server CPU, user+sys, over the messages sent) with each config's ratio to global on the same server
# and client: the figure to read on a loaded machine.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
SHARED="$ROOT/../shared/bench"
. "$HERE/_servers.sh"
REPS=${1:-4}
N=${N:-2000000}
RUNTIME=${RUNTIME:-bun}
PORT=${PORT:-4371}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
OUTDIR="$HERE/results"
mkdir -p "$OUTDIR"
DIR=$(mktemp -d)
PID=""
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null || true
  rm -rf "$DIR"
}
trap cleanup EXIT

command -v nats-server >/dev/null || { echo "accounts_compare.sh: nats-server is not installed" >&2; exit 1; }
BIN="$SHARED/bin/natsbench"; [ -x "$BIN" ] || BIN=${TMPDIR:-/tmp}/natsbench-bin/natsbench
[ -x "$BIN" ] || "$SHARED/build.sh" >&2
[ -x "$BIN" ] || BIN="$SHARED/bin/natsbench"

import_confs "$PORT"
cat > "$DIR/accounts.conf" <<CONF
listen: 127.0.0.1:$PORT
accounts {
  A: {
    users: [ {user: a, password: a} ]
    exports: [ {stream: "events.>"}, {service: "svc.>"} ]
    mappings: { "old.subject": "new.subject" }
  }
  B: {
    users: [ {user: b, password: b} ]
    imports: [ {stream: {account: A, subject: "events.>"}, prefix: a}, {service: {account: A, subject: "svc.>"}} ]
  }
}
no_auth_user: a
CONF

start() { # start KIND CONF
  start_server "$1" "$2"
  PID=$STARTED
  wait_port "$PORT"
}

stop() {
  kill "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
  PID=""
}

for rep in $(seq 1 "$REPS"); do
  # Which config goes first alternates, so that a drift in the machine's load favours neither.
  order="global accounts import"
  [ $((rep % 2)) -eq 0 ] && order="import accounts global"
  for kind in nats-server natsedge; do
    for conf in $order; do
      label="$kind-$conf"
      echo "== repetition $rep/$REPS: $label" >&2
      start "$kind" "$DIR/$conf.conf"
      url="nats://127.0.0.1:$PORT"
      SERVER_PID=$PID "$BIN" pubsub -url "$url" -size 16 -n $((N / 4)) -label warm-up > /dev/null
      if [ "$conf" != import ]; then
        out="$OUTDIR/accounts-$label-$stamp.jsonl"
        for size in 16 128 1024; do
          n=$N
          [ "$size" = 1024 ] && n=$((N / 3))
          SERVER_PID=$PID "$BIN" pubsub -url "$url" -size "$size" -n "$n" -label "$label" -rep "$rep" >> "$out"
        done
        SERVER_PID=$PID "$BIN" fanout -url "$url" -size 128 -n $((N / 2)) -subs 4 -label "$label" -rep "$rep" >> "$out"
      fi
      if [ "$conf" != accounts ]; then
        sub_url="$url"
        nlabel="$label-natsgo"
        [ "$conf" = import ] && sub_url="nats://b:b@127.0.0.1:$PORT" && nlabel="$label"
        for size in 16 128; do
          SERVER_PID=$PID "$BIN" pubsub -client natsgo -url "$url" -sub-url "$sub_url" -size "$size" -n "$N" -label "$nlabel" -rep "$rep" \
            >> "$OUTDIR/accounts-$nlabel-$stamp.jsonl"
        done
      fi
      stop
    done
  done
done

{
  "$BIN" summarize "$OUTDIR"/accounts-*-"$stamp".jsonl
  python3 - "$OUTDIR"/accounts-*-"$stamp".jsonl <<'PY'
import json, statistics, sys
from collections import defaultdict
per = defaultdict(list)
for f in sys.argv[1:]:
    for line in open(f):
        r = json.loads(line)
        if not r.get("sent"):
            continue
        variant = f" subs={r['subs']}" if r.get("subs", 1) > 1 else ""
        per[(r["scenario"] + variant, r["size"], r["label"])].append(r["server_cpu"] * r["elapsed_s"] / r["sent"] * 1e6)
print("\n### Server CPU per message sent (µs, median over repetitions; ratio to global on the same server and client)\n")
print("| scenario | size B | config | nats-server | ratio | natsedge | ratio |")
print("| --- | --- | --- | --- | --- | --- | --- |")
rows = sorted({(s, z) for s, z, _ in per})
for s, z in rows:
    for conf, base in (("accounts", "global"), ("import", "global-natsgo"), ("global", None), ("global-natsgo", None)):
        cells = []
        for kind in ("nats-server", "natsedge"):
            v = per.get((s, z, f"{kind}-{conf}"))
            b = per.get((s, z, f"{kind}-{base}")) if base else None
            if not v:
                cells += ["", ""]
                continue
            m = statistics.median(v)
            cells += [f"{m:.3f}", f"{m / statistics.median(b):.3f}" if b else ""]
        if any(cells):
            print(f"| {s} | {z} | {conf} | " + " | ".join(cells) + " |")
PY
} | tee "$OUTDIR/accounts-compare-$stamp.md"
