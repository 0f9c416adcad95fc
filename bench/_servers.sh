# Sourced by the route, leaf and accounts benchmarks: starting nats-server or natsedge on a config, and
# waiting on a port, or on the monitor until routes or leaf connections have formed. Needs ROOT (the
# repository) and RUNTIME (bun|deno).

# start_server KIND CONF: starts nats-server or natsedge on CONF in the background; its pid is in STARTED.
# KIND natsedge@DIR runs the natsedge checked out in DIR (another commit, to compare before and after).
start_server() {
  local root=$ROOT
  case "$1" in natsedge@*) root=${1#natsedge@} ;; esac
  case "$1" in
    nats-server) nats-server -c "$2" >/dev/null 2>&1 & ;;
    natsedge | natsedge@*)
      if [ "${RUNTIME:-bun}" = deno ]; then "$root/node_modules/.bin/deno" run -A "$root/src/main.ts" -c "$2" >/dev/null 2>&1 &
      else "$root/node_modules/.bin/bun" "$root/src/main.ts" -c "$2" >/dev/null 2>&1 &
      fi ;;
    *) echo "start_server: unknown server kind $1" >&2; return 1 ;;
  esac
  STARTED=$!
}

# wait_port PORT: something accepts TCP connections on 127.0.0.1:PORT (10 s at most).
wait_port() {
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "$(basename "$0"): nothing listening on $1" >&2
  return 1
}

# wait_monitor URL PATTERN WHAT: polls URL until its body matches the extended regex PATTERN (10 s at most).
wait_monitor() {
  for _ in $(seq 1 100); do
    if curl -s "$1" | grep -Eq "$2"; then return 0; fi
    sleep 0.1
  done
  echo "$(basename "$0"): $3" >&2
  return 1
}

# wait_routes HTTP_PORT...: every server's /routez shows one route.
wait_routes() {
  for port in "$@"; do
    wait_monitor "http://127.0.0.1:$port/routez" '"num_routes": *1\b' "the route never formed (monitor port $port)"
  done
}

# wait_leafs HTTP_PORT COUNT: the hub's /leafz shows COUNT leaf connections.
wait_leafs() {
  wait_monitor "http://127.0.0.1:$1/leafz" "\"leafnodes\": *$2\b" "the hub never showed $2 leaf connection(s)"
}

# stop_server PID: stops one server and waits for it to exit.
stop_server() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# import_confs PORT: DIR/global.conf (every client in $G) and DIR/import.conf (account B importing A's bench.>
# stream; no_auth_user a puts a client without credentials in A, user b/b is B), the pair whose CPU per
# message accounts_compare.sh and accounts_pairs.sh compare.
import_confs() {
  printf 'listen: 127.0.0.1:%s\n' "$1" > "$DIR/global.conf"
  cat > "$DIR/import.conf" <<CONF
listen: 127.0.0.1:$1
accounts {
  A: { users: [ {user: a, password: a} ], exports: [ {stream: "bench.>"} ] }
  B: { users: [ {user: b, password: b} ], imports: [ {stream: {account: A, subject: "bench.>"}} ] }
}
no_auth_user: a
CONF
}

# bench_prepare NAME: what every one of these benchmarks sets up first: `stamp`, the results folder OUTDIR, a
# scratch folder DIR, and PIDS, the servers it started, killed with DIR removed at exit; nats-server and
# natsbench checked for (NAME, the script's, for the message).
bench_prepare() {
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
  OUTDIR="$HERE/results"
  mkdir -p "$OUTDIR"
  DIR=$(mktemp -d)
  PIDS=()
  trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$DIR"' EXIT
  command -v nats-server >/dev/null || { echo "$1: nats-server is not installed" >&2; exit 1; }
  [ -x "$SHARED/bin/natsbench" ] || "$SHARED/build.sh" >&2
}

# route_confs: DIR/a.conf and DIR/b.conf, two cluster members, b routed to a (A_PORT, A_HTTP, A_ROUTE, B_*).
route_confs() {
  printf 'server_name: a\nlisten: 127.0.0.1:%s\nhttp: 127.0.0.1:%s\ncluster { name: bench, listen: "127.0.0.1:%s" }\n' \
    "$A_PORT" "$A_HTTP" "$A_ROUTE" > "$DIR/a.conf"
  printf 'server_name: b\nlisten: 127.0.0.1:%s\nhttp: 127.0.0.1:%s\ncluster { name: bench, listen: "127.0.0.1:%s", routes = ["nats-route://127.0.0.1:%s"] }\n' \
    "$B_PORT" "$B_HTTP" "$B_ROUTE" "$A_ROUTE" > "$DIR/b.conf"
}

# leaf_confs: DIR/hub.conf (HUB_PORT, HUB_HTTP, leaf listener HUB_LEAF_PORT) and DIR/leaf.conf (LEAF_PORT)
# dialling it.
leaf_confs() {
  printf 'server_name: hub\nlisten: 127.0.0.1:%s\nhttp: 127.0.0.1:%s\nleafnodes { listen: 127.0.0.1:%s }\n' \
    "$HUB_PORT" "$HUB_HTTP" "$HUB_LEAF_PORT" > "$DIR/hub.conf"
  printf 'server_name: edge1\nlisten: 127.0.0.1:%s\nleafnodes { remotes = [ { url: "nats-leaf://127.0.0.1:%s" } ] }\n' \
    "$LEAF_PORT" "$HUB_LEAF_PORT" > "$DIR/leaf.conf"
}
