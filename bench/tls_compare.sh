#!/usr/bin/env bash
# TLS pub/sub throughput, natsedge vs nats-server with the same certificates, side by side.
#
#   bench/tls_compare.sh [REPS]     # default 3 interleaved repetitions
#   RUNTIME="bun deno" bench/tls_compare.sh 2   # natsedge on each runtime in turn after nats-server (default bun)
#
# Makes a throwaway CA and a server certificate for 127.0.0.1, starts each server with `tls {}`, and runs
# ../shared/bench's natsbench with the nats.go client (the raw client has no TLS) on tls:// URLs;
# SSL_CERT_FILE makes Go trust the throwaway CA.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
BIN="$ROOT/../shared/bench/bin/natsbench"
REPS=${1:-3}
RUNTIME=${RUNTIME:-bun}
[ -x "$BIN" ] || "$ROOT/../shared/bench/build.sh" >&2
command -v nats-server >/dev/null || { echo "tls_compare.sh: nats-server is not installed" >&2; exit 1; }
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"; kill $(jobs -p) 2>/dev/null || true' EXIT
cd "$DIR"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem -days 1 -subj "/CN=bench CA" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout key.pem -out server.csr -subj "/CN=127.0.0.1" 2>/dev/null
printf "subjectAltName=IP:127.0.0.1,DNS:localhost\n" > ext.cnf
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out cert.pem -days 1 -extfile ext.cnf 2>/dev/null
export SSL_CERT_FILE="$DIR/ca.pem" BENCH_CLIENT=natsgo

wait_port() {
  for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done
  return 1
}
run() { # label port pid
  for s in "pubsub -size 128 -n 2000000" "pubsub -size 1024 -n 1000000"; do
    SERVER_PID=$3 timeout -k 5 60 "$BIN" $s -url "tls://127.0.0.1:$2" -label "$1" -max 8s -drain 10s
  done
}
out="$DIR/results.jsonl"
for rep in $(seq 1 "$REPS"); do
  printf 'listen: 127.0.0.1:4343\ntls { cert_file: "%s/cert.pem", key_file: "%s/key.pem" }\n' "$DIR" "$DIR" > "$DIR/ns.conf"
  nats-server -c "$DIR/ns.conf" >/dev/null 2>&1 & pid=$!
  wait_port 4343; BENCH_REP=$rep run nats-server 4343 $pid >> "$out"; kill $pid; wait $pid 2>/dev/null || true
  for rt in $RUNTIME; do
    case "$rt" in
      bun) cmd=("$ROOT/node_modules/.bin/bun") ;;
      deno) cmd=("$ROOT/node_modules/.bin/deno" run -A --config "$ROOT/deno.json") ;;
      *) echo "tls_compare.sh: unknown RUNTIME $rt (bun, deno or both)" >&2; exit 2 ;;
    esac
    "${cmd[@]}" "$ROOT/src/main.ts" -a 127.0.0.1 -p 4344 --tls --tlscert "$DIR/cert.pem" --tlskey "$DIR/key.pem" >/dev/null 2>&1 & pid=$!
    wait_port 4344; BENCH_REP=$rep run "natsedge-$rt" 4344 $pid >> "$out"; kill $pid; wait $pid 2>/dev/null || true
  done
done
"$BIN" summarize "$out"
