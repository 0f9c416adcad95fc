#!/usr/bin/env bash
# WebSocket pub/sub, natsedge vs nats-server 2.9.10, side by side in one session, with bench/wsbench (Go,
# gorilla/websocket from Debian's golang-github-gorilla-websocket-dev, built offline in GOPATH mode).
#
#   bench/ws_compare.sh [REPS] [N]     # REPS interleaved repetitions (default 3) of N messages (default 1000000)
#   SIZES="1024" bench/ws_compare.sh   # only some payload sizes (default "128 1024")
#
# Each repetition starts a fresh nats-server and a fresh natsedge (RUNTIME=bun|deno, default bun) with the
# same `websocket { no_tls: true }` block on loopback and runs 128 B and 1 KiB against each in turn, one
# server at a time, so the two never compete for the cores, each after a discarded warm-up run. One JSON
# line per run on stdout, with the server's CPU seconds for the run (server_cpu_s).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
REPS=${1:-3}
N=${2:-1000000}
SIZES=${SIZES:-"128 1024"}
RUNTIME=${RUNTIME:-bun}
NS_WS=${NS_WS:-4343}
NE_WS=${NE_WS:-4344}
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT

command -v nats-server >/dev/null || { echo "ws_compare.sh: nats-server is not installed (apt-get install -y nats-server)" >&2; exit 1; }
if [ ! -d /usr/share/gocode/src/github.com/gorilla/websocket ]; then
  apt-get install -y -qq golang-github-gorilla-websocket-dev >/dev/null || { echo "ws_compare.sh: needs golang-github-gorilla-websocket-dev" >&2; exit 1; }
fi
(cd "$HERE/wsbench" && GO111MODULE=off GOPATH=/usr/share/gocode GOPROXY=off GOCACHE="$DIR/gocache" go build -o "$DIR/wsbench" .)

conf() { printf 'listen: 127.0.0.1:-1\nwebsocket { host: 127.0.0.1, port: %s, no_tls: true }\n' "$1"; }
conf "$NS_WS" > "$DIR/ns.conf"
conf "$NE_WS" > "$DIR/ne.conf"

wait_port() {
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "ws_compare.sh: nothing listening on $1" >&2
  return 1
}

TICK=$(getconf CLK_TCK)
# The server's CPU time so far (user + system, in clock ticks): on a shared machine, CPU seconds per run
# compare better than throughput alone.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

run_one() { # label port pid
  for size in $SIZES; do
    # A discarded warm-up: natsedge's JIT needs a few hundred thousand messages to settle.
    "$DIR/wsbench" -url "ws://127.0.0.1:$2" -size "$size" -n $((N / 4)) >/dev/null
    before=$(cpu_ticks "$3")
    out=$("$DIR/wsbench" -url "ws://127.0.0.1:$2" -size "$size" -n "$N")
    after=$(cpu_ticks "$3")
    cpu=$(awk -v a="$before" -v b="$after" -v t="$TICK" 'BEGIN { printf "%.2f", (b - a) / t }')
    echo "{\"server\":\"$1\",\"server_cpu_s\":$cpu,${out#\{}"
  done
}

for _ in $(seq 1 "$REPS"); do
  nats-server -c "$DIR/ns.conf" >/dev/null 2>&1 &
  pid=$!
  wait_port "$NS_WS"
  run_one nats-server "$NS_WS" "$pid"
  kill "$pid"; wait "$pid" 2>/dev/null || true

  if [ "$RUNTIME" = deno ]; then
    "$ROOT/node_modules/.bin/deno" run -A "$ROOT/src/main.ts" -c "$DIR/ne.conf" >/dev/null 2>&1 &
  else
    "$ROOT/node_modules/.bin/bun" "$ROOT/src/main.ts" -c "$DIR/ne.conf" >/dev/null 2>&1 &
  fi
  pid=$!
  wait_port "$NE_WS"
  run_one "natsedge-$RUNTIME" "$NE_WS" "$pid"
  kill "$pid"; wait "$pid" 2>/dev/null || true
done
