#!/usr/bin/env bash
# MQTT end-to-end throughput, natsedge vs nats-server 2.9.10, side by side in one session, with Debian's
# mosquitto clients: one `mosquitto_pub -l` (a message per stdin line) and one `mosquitto_sub -C N`.
#
#   bench/mqtt_compare.sh [REPS] [N]   # REPS interleaved repetitions (default 3) of N messages (default 200000)
#
# Each repetition starts a fresh nats-server and a fresh natsedge (Bun) with the same config and runs QoS 0
# and QoS 1 with 128-byte payloads against each in turn, one server at a time. The figure is N divided by
# the time from the publisher's start to the subscriber's exit. One JSON line per run on stdout.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
REPS=${1:-3}
N=${2:-200000}
NS_MQTT=${NS_MQTT:-11883}
NE_MQTT=${NE_MQTT:-11884}
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT

command -v nats-server >/dev/null || { echo "mqtt_compare.sh: nats-server is not installed" >&2; exit 1; }
command -v mosquitto_pub >/dev/null || { echo "mqtt_compare.sh: needs mosquitto-clients" >&2; exit 1; }

conf() { printf 'listen: 127.0.0.1:-1\nserver_name: bench\njetstream { store_dir: "%s" }\nmqtt { host: 127.0.0.1, port: %s }\n' "$DIR/$2" "$1"; }
conf "$NS_MQTT" ns > "$DIR/ns.conf"
conf "$NE_MQTT" ne > "$DIR/ne.conf"
head -c 96 /dev/zero | tr '\0' x > "$DIR/line"
awk -v n="$N" -v l="$(cat "$DIR/line")" 'BEGIN { for (i = 0; i < n; i++) printf "%s%032d\n", l, i }' > "$DIR/msgs"

wait_port() {
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "mqtt_compare.sh: nothing listening on $1" >&2
  return 1
}

run_one() { # label port
  for qos in 0 1; do
    mosquitto_sub -h 127.0.0.1 -p "$2" -t bench/t -q "$qos" -C "$N" > /dev/null &
    sub=$!
    sleep 0.5
    t0=$(date +%s.%N)
    # -M: mosquitto_pub -l at QoS 1 otherwise drops what does not fit its 20-message window at end of input.
    mosquitto_pub -h 127.0.0.1 -p "$2" -t bench/t -q "$qos" -M 65535 -l < "$DIR/msgs"
    if ! timeout 120 tail --pid="$sub" -f /dev/null; then kill "$sub"; echo "{\"server\":\"$1\",\"qos\":$qos,\"error\":\"subscriber did not get $N\"}"; continue; fi
    t1=$(date +%s.%N)
    echo "{\"server\":\"$1\",\"qos\":$qos,\"size\":128,\"n\":$N,\"msgs_per_s\":$(echo "$N / ($t1 - $t0)" | bc)}"
  done
}

for _ in $(seq 1 "$REPS"); do
  nats-server -c "$DIR/ns.conf" >/dev/null 2>&1 &
  pid=$!
  wait_port "$NS_MQTT"
  run_one nats-server "$NS_MQTT"
  kill "$pid"; wait "$pid" 2>/dev/null || true

  "$ROOT/node_modules/.bin/bun" "$ROOT/src/main.ts" -c "$DIR/ne.conf" >/dev/null 2>&1 &
  pid=$!
  wait_port "$NE_MQTT"
  run_one natsedge "$NE_MQTT"
  kill "$pid"; wait "$pid" 2>/dev/null || true
done
