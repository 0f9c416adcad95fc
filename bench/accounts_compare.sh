#!/usr/bin/env bash
# Pub/sub with accounts configured against the global account, side by side in one session, with
# ../shared/bench's natsbench, on natsedge and on nats-server 2.9.10.
#
#   bench/accounts_compare.sh [REPS]     # default 3 interleaved repetitions
#
# Configs: "global" (no accounts: every client in $G) and "accounts" (accounts A and B, B importing a stream
# and a service from A, A with a subject mapping, no_auth_user putting the benchmark's clients in A). Per
# repetition each server starts fresh with each config (the order alternating between repetitions) and natsbench runs pubsub at 16 B, 128 B and 1 KiB and
# a 4-subscriber fan-out at 128 B. Env: N (messages per pubsub run, default 2000000), RUNTIME=bun|deno.
# Results: bench/results/accounts-<label>-<stamp>.jsonl, and a summary table on stdout and in
# bench/results/accounts-compare-<stamp>.md.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
SHARED="$ROOT/../shared/bench"
REPS=${1:-3}
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

printf 'listen: 127.0.0.1:%s\n' "$PORT" > "$DIR/global.conf"
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

wait_port() {
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "accounts_compare.sh: nothing listening on $PORT" >&2
  return 1
}

start() { # start KIND CONF
  case "$1" in
    nats-server) nats-server -c "$2" >/dev/null 2>&1 & ;;
    natsedge)
      if [ "$RUNTIME" = deno ]; then "$ROOT/node_modules/.bin/deno" run -A "$ROOT/src/main.ts" -c "$2" >/dev/null 2>&1 &
      else "$ROOT/node_modules/.bin/bun" "$ROOT/src/main.ts" -c "$2" >/dev/null 2>&1 &
      fi ;;
  esac
  PID=$!
  wait_port
}

stop() {
  kill "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
  PID=""
}

for rep in $(seq 1 "$REPS"); do
  # Which config goes first alternates, so that a drift in the machine's load favours neither.
  order="global accounts"
  [ $((rep % 2)) -eq 0 ] && order="accounts global"
  for kind in nats-server natsedge; do
    for conf in $order; do
      label="$kind-$conf"
      echo "== repetition $rep/$REPS: $label" >&2
      start "$kind" "$DIR/$conf.conf"
      out="$OUTDIR/accounts-$label-$stamp.jsonl"
      url="nats://127.0.0.1:$PORT"
      for size in 16 128 1024; do
        n=$N
        [ "$size" = 1024 ] && n=$((N / 3))
        SERVER_PID=$PID "$BIN" pubsub -url "$url" -size "$size" -n "$n" -label "$label" -rep "$rep" >> "$out"
      done
      SERVER_PID=$PID "$BIN" fanout -url "$url" -size 128 -n $((N / 2)) -subs 4 -label "$label" -rep "$rep" >> "$out"
      stop
    done
  done
done

"$BIN" summarize "$OUTDIR"/accounts-*-"$stamp".jsonl | tee "$OUTDIR/accounts-compare-$stamp.md"
