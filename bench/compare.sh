#!/usr/bin/env bash
# natsedge vs nats-server, side by side in one session, with ../shared/bench's natsbench.
#
#   bench/compare.sh [REPS]          # core scenarios, REPS interleaved repetitions (default 3)
#   MODE=js-enc-aes ONLY=js bench/compare.sh 3   # JetStream scenarios, both servers with the same store setup
#
# Each repetition starts a fresh nats-server (../shared/bench/server.sh, mode plain) and a fresh natsedge
# (bun src/main.ts) on loopback, runs ../shared/bench/run.sh against each in turn, and stops them, so the two
# never compete for the 2 cores. The summary (medians and spread per scenario) goes to stdout and to
# bench/results/compare-<stamp>.md. Env: ONLY=core|js|all (default core), SCALE (see run.sh), RUNTIME=bun|deno
# or a list ("bun deno": each repetition runs nats-server, then natsedge on each runtime in turn),
# MODE=plain|js|js-enc-aes|js-enc-chacha (default plain; the js modes give both servers a fresh file store,
# the enc modes the same key and cipher).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
SHARED="$ROOT/../shared/bench"
REPS=${1:-3}
ONLY=${ONLY:-core}
MODE=${MODE:-plain}
RUNTIME=${RUNTIME:-bun}
NS_PORT=${NS_PORT:-4333}
NE_PORT=${NE_PORT:-4334}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
OUTDIR="$HERE/results"
mkdir -p "$OUTDIR"
NS_OUT="$OUTDIR/nats-server-$MODE-$stamp.jsonl"
NE_OUTS=()
for rt in $RUNTIME; do
  case "$rt" in bun|deno) ;; *) echo "compare.sh: unknown RUNTIME $rt (bun, deno or both)" >&2; exit 2 ;; esac
  NE_OUTS+=("$OUTDIR/natsedge-$rt-$MODE-$stamp.jsonl")
done
NE_DIR=$(mktemp -d)
trap 'rm -rf "$NE_DIR"' EXIT
# The same fixed, non-secret key ../shared/bench/server.sh gives nats-server: encryption is measured here.
KEY="natsbench-not-a-secret-key-0123456789"
{
  echo "listen: 127.0.0.1:$NE_PORT"
  case "$MODE" in
    plain) ;;
    js) echo "jetstream { store_dir: \"$NE_DIR/store\" }" ;;
    js-enc-aes) echo "jetstream { store_dir: \"$NE_DIR/store\", key: \"$KEY\", cipher: aes }" ;;
    js-enc-chacha) echo "jetstream { store_dir: \"$NE_DIR/store\", key: \"$KEY\", cipher: chacha }" ;;
    *) echo "compare.sh: unknown MODE $MODE" >&2; exit 2 ;;
  esac
} > "$NE_DIR/natsedge.conf"

command -v nats-server >/dev/null || { echo "compare.sh: nats-server is not installed (apt-get install -y nats-server)" >&2; exit 1; }
[ -x "$SHARED/bin/natsbench" ] || "$SHARED/build.sh" >&2

wait_port() {
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "compare.sh: nothing listening on $1" >&2
  return 1
}

start_natsedge() {
  rm -rf "$NE_DIR/store"
  if [ "$1" = deno ]; then
    "$ROOT/node_modules/.bin/deno" run -A "$ROOT/src/main.ts" -c "$NE_DIR/natsedge.conf" >/dev/null 2>&1 &
  else
    "$ROOT/node_modules/.bin/bun" "$ROOT/src/main.ts" -c "$NE_DIR/natsedge.conf" >/dev/null 2>&1 &
  fi
  NE_PID=$!
  wait_port "$NE_PORT"
}

for rep in $(seq 1 "$REPS"); do
  echo "== repetition $rep/$REPS" >&2
  "$SHARED/server.sh" start "$MODE" "$NS_PORT" >/dev/null
  BENCH_REP=$rep OUT="$NS_OUT" ONLY=$ONLY "$SHARED/run.sh" "nats://127.0.0.1:$NS_PORT" nats-server >/dev/null
  "$SHARED/server.sh" stop "$MODE" >/dev/null

  for rt in $RUNTIME; do
    start_natsedge "$rt"
    SERVER_PID=$NE_PID BENCH_REP=$rep OUT="$OUTDIR/natsedge-$rt-$MODE-$stamp.jsonl" ONLY=$ONLY "$SHARED/run.sh" "nats://127.0.0.1:$NE_PORT" "natsedge-$rt" >/dev/null
    kill "$NE_PID"; wait "$NE_PID" 2>/dev/null || true
  done
done

"$SHARED/bin/natsbench" summarize "$NS_OUT" "${NE_OUTS[@]}" | tee "$OUTDIR/compare-$stamp.md"
