#!/usr/bin/env bash
# MQTT end-to-end throughput and idle footprint: natsedge vs nats-server 2.9.10 vs Debian's mosquitto 2.0.11,
# side by side in one session, with the same native client for all three: bench/mqtt_load.c, one publisher
# and one subscriber (mosquitto_pub -l drops lines once its in-flight window is full, which made QoS 1/2
# figures meaningless, and its line reading, not the broker, bounded QoS 0).
#
#   bench/mqtt_compare.sh [REPS] [N] [IDLE]   # REPS interleaved repetitions (default 3) of N messages
#                                             # (default 200000); IDLE idle connections for the RSS figure
#                                             # (default 1000, 0 to skip)
#
# Each repetition starts each server fresh, one at a time. First IDLE MQTT connections (CONNECT, CONNACK,
# nothing more) and the fresh server's RSS before and after; then QoS 0, 1 and 2 with 128-byte payloads
# (nats-server 2.9.10 has no QoS 2: skipped there), QoS 1/2 also with a subscriber that has a persistent
# session (clean session 0: natsedge then stores each message before PUBACK). The figure is N divided by
# the time from the publisher's start to the subscriber's exit. One JSON line per run on stdout.
#
# mosquitto gets max_inflight_messages 1024 (nats-server's and natsedge's max_ack_pending default) and an
# unbounded queue, so that it does not drop QoS 1/2 messages a busy subscriber has not taken yet.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
REPS=${1:-3}
N=${2:-200000}
IDLE=${3:-1000}
# Unacknowledged QoS 1/2 publishes the loader keeps in flight: under the brokers' 1024 in-flight default.
WINDOW=${WINDOW:-1000}
NS_MQTT=${NS_MQTT:-11883}
NE_MQTT=${NE_MQTT:-11884}
MQ_MQTT=${MQ_MQTT:-11885}
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT

command -v nats-server >/dev/null || { echo "mqtt_compare.sh: nats-server is not installed" >&2; exit 1; }
command -v cc >/dev/null || { echo "mqtt_compare.sh: needs a C compiler for bench/mqtt_load.c" >&2; exit 1; }
MOSQUITTO=$(command -v mosquitto || echo /usr/sbin/mosquitto)
[ -x "$MOSQUITTO" ] || { echo "mqtt_compare.sh: needs the mosquitto broker" >&2; exit 1; }

conf() { printf 'listen: 127.0.0.1:-1\nserver_name: bench\njetstream { store_dir: "%s" }\nmqtt { host: 127.0.0.1, port: %s }\n' "$DIR/$2" "$1"; }
conf "$NS_MQTT" ns > "$DIR/ns.conf"
conf "$NE_MQTT" ne > "$DIR/ne.conf"
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nmax_inflight_messages 1024\nmax_queued_messages 0\nlog_dest none\n' "$MQ_MQTT" > "$DIR/mq.conf"
cc -O2 -o "$DIR/mqtt_load" "$HERE/mqtt_load.c"

wait_port() {
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "mqtt_compare.sh: nothing listening on $1" >&2
  return 1
}

rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }

run_one() { # label port qos... (a qos "1p"/"2p": the subscriber has a persistent session)
  local label=$1 port=$2
  shift 2
  for run in "$@"; do
    local qos=${run%p} session=clean
    [ "$run" = "$qos" ] || session=persistent
    rm -f "$DIR/ready"
    "$DIR/mqtt_load" sub "$port" "$qos" "$N" "$session" > "$DIR/ready" &
    sub=$!
    until [ -s "$DIR/ready" ]; do kill -0 "$sub" 2>/dev/null || break; sleep 0.05; done
    t0=$(date +%s.%N)
    if ! timeout 120 "$DIR/mqtt_load" pub "$port" "$qos" "$N" 128 "$WINDOW" || ! timeout 120 tail --pid="$sub" -f /dev/null || ! wait "$sub"; then
      kill "$sub" 2>/dev/null || true
      echo "{\"server\":\"$label\",\"qos\":$qos,\"error\":\"subscriber did not get $N\"}"
      continue
    fi
    t1=$(date +%s.%N)
    echo "{\"server\":\"$label\",\"qos\":$qos,\"session\":\"$session\",\"size\":128,\"n\":$N,\"window\":$WINDOW,\"msgs_per_s\":$(echo "$N / ($t1 - $t0)" | bc)}"
  done
}

idle_rss() { # label port pid
  [ "$IDLE" -gt 0 ] || return 0
  local before after
  before=$(rss_kb "$3")
  # Python's sockets hold the connections open until told to go (stdin closes).
  exec 4> >(/usr/bin/python3 -c '
import socket, sys
n, port = int(sys.argv[1]), int(sys.argv[2])
conns = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    cid = ("idle%d" % i).encode()
    body = b"\x00\x04MQTT\x04\x02\x00\x00" + len(cid).to_bytes(2, "big") + cid
    s.sendall(bytes([0x10, len(body)]) + body)
    if s.recv(4) != b"\x20\x02\x00\x00": sys.exit("no CONNACK")
    conns.append(s)
open(sys.argv[3], "w").write("up")
sys.stdin.read()
' "$IDLE" "$2" "$DIR/idle.up")
  for _ in $(seq 1 600); do [ -s "$DIR/idle.up" ] && break; sleep 0.1; done
  sleep 1
  after=$(rss_kb "$3")
  exec 4>&-
  rm -f "$DIR/idle.up"
  echo "{\"server\":\"$1\",\"idle_connections\":$IDLE,\"rss_before_kb\":$before,\"rss_after_kb\":$after,\"kb_per_conn\":$(awk -v a="$after" -v b="$before" -v n="$IDLE" 'BEGIN { printf "%.1f", (a - b) / n }')}"
}

for _ in $(seq 1 "$REPS"); do
  nats-server -c "$DIR/ns.conf" >/dev/null 2>&1 &
  pid=$!
  wait_port "$NS_MQTT"
  idle_rss nats-server "$NS_MQTT" "$pid"
  run_one nats-server "$NS_MQTT" 0 1 1p
  kill "$pid"; wait "$pid" 2>/dev/null || true

  "$ROOT/node_modules/.bin/bun" "$ROOT/src/main.ts" -c "$DIR/ne.conf" >/dev/null 2>&1 &
  pid=$!
  wait_port "$NE_MQTT"
  idle_rss natsedge "$NE_MQTT" "$pid"
  run_one natsedge "$NE_MQTT" 0 1 2 1p 2p
  kill "$pid"; wait "$pid" 2>/dev/null || true

  "$MOSQUITTO" -c "$DIR/mq.conf" >/dev/null 2>&1 &
  pid=$!
  wait_port "$MQ_MQTT"
  idle_rss mosquitto "$MQ_MQTT" "$pid"
  run_one mosquitto "$MQ_MQTT" 0 1 2 1p 2p
  kill "$pid"; wait "$pid" 2>/dev/null || true
done
