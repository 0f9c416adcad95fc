#!/usr/bin/env bash
# The single executable, measured: size per target, cold start, idle memory, and core throughput against
# `bun src/main.ts`.
#
#   bench/binary_bench.sh                 all of it (~5 min: two natsbench core runs at SCALE=0.3)
#   NATSBENCH=0 bench/binary_bench.sh     sizes, cold start and RSS only (~30 s)
#
# Environment: TARGETS (default "linux-x64 linux-arm64 darwin-x64 darwin-arm64"; cross targets fetch their
# Bun runtime from npm once), RUNS (cold starts per command, default 10), SCALE (natsbench, default 0.3),
# PORT (natsbench server port, default 4455). Writes a markdown table to stdout and to
# bench/results/binary-UTCSTAMP.md.
#
# Targets: cold start < 150 ms, idle RSS <= 40 MB, executable <= its Bun runtime + 5 MB.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUN="$ROOT/node_modules/.bin/bun"
TARGETS=${TARGETS:-"linux-x64 linux-arm64 darwin-x64 darwin-arm64"}
RUNS=${RUNS:-10}
SCALE=${SCALE:-0.3}
PORT=${PORT:-4455}
RUN_SH="$ROOT/../shared/bench/run.sh"
OUTDIR=$(mktemp -d)
trap 'rm -rf "$OUTDIR"' EXIT
mkdir -p bench/results
REPORT="bench/results/binary-$(date -u +%Y%m%dT%H%M%SZ).md"
CACHE=${NATSEDGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/natsedge}
version=$("$BUN" --version)
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
size() { stat -c %s "$1" 2>/dev/null || stat -f %z "$1"; }

host=$(./compile.sh --help >/dev/null; case "$(uname -m)" in aarch64|arm64) echo "$(uname -s | tr A-Z a-z)-arm64" ;; *) echo "$(uname -s | tr A-Z a-z)-x64" ;; esac)
{
  echo "# natsedge single executable — $(date -u +%FT%TZ), Bun $version, $(uname -m), $(nproc) cores"
  echo
  echo "## Size per target (limit: runtime + 5 MB)"
  echo
  echo "| target | executable MB | Bun runtime MB | overhead MB | within limit |"
  echo "| --- | ---: | ---: | ---: | --- |"
} | tee "$REPORT"
for t in $TARGETS; do
  out="$OUTDIR/natsedge-$t"
  ./compile.sh --target "$t" --out "$out" >/dev/null 2>"$OUTDIR/err" || { echo "| $t | build failed: $(tail -1 "$OUTDIR/err") | | | |" | tee -a "$REPORT"; continue; }
  if [ "$t" = "$host" ]; then rt=$(readlink -f "$BUN"); else
    case "$t" in linux-arm64) p=bun-linux-aarch64 ;; darwin-arm64) p=bun-darwin-aarch64 ;; *) p=bun-$t ;; esac
    rt="$CACHE/bun-$version/$p/bun"
  fi
  es=$(size "$out"); rs=$(size "$rt")
  ok=$([ $((es - rs)) -le $((5 * 1048576)) ] && echo yes || echo NO)
  echo "| $t | $(mb "$es") | $(mb "$rs") | $(mb $((es - rs))) | $ok |" | tee -a "$REPORT"
done

HOSTBIN="$OUTDIR/natsedge-$host"
[ -x "$HOSTBIN" ] || ./compile.sh --out "$HOSTBIN" >/dev/null
{
  echo
  echo "## Cold start to \"Server is ready\" (median of $RUNS; limit 150 ms) and idle RSS 2 s after ready (limit 40 MB)"
  echo
  echo "| command | median ms | min ms | max ms | idle RSS MB |"
  echo "| --- | ---: | ---: | ---: | ---: |"
} | tee -a "$REPORT"
row() { # label cmd...
  local label=$1; shift
  local j
  j=$("$BUN" bench/binary_startup.ts "$RUNS" -- "$@")
  echo "$j" | "$BUN" -e '
    const j = JSON.parse(await Bun.stdin.text());
    const s = j.startup_ms;
    console.log(`| ${process.argv[1]} | ${s.median} | ${s.min} | ${s.max} | ${j.idle_rss_mb} |`);' "$label"
}
row "./natsedge ($host executable)" "$HOSTBIN" | tee -a "$REPORT"
row "bun src/main.ts" "$BUN" src/main.ts | tee -a "$REPORT"
row "deno run -A src/main.ts" "$ROOT/node_modules/.bin/deno" run -A src/main.ts | tee -a "$REPORT"

if [ "${NATSBENCH:-1}" = 0 ]; then echo; echo "(natsbench skipped)"; exit 0; fi
[ -x "$RUN_SH" ] || { echo "no $RUN_SH: natsbench skipped" | tee -a "$REPORT"; exit 0; }

# natsbench core, SCALE=$SCALE, once against the executable and once against bun src/main.ts.
bench_one() { # label cmd...
  local label=$1; shift
  "$@" -a 127.0.0.1 -p "$PORT" 2>"$OUTDIR/$label.log" &
  local pid=$!
  for _ in $(seq 100); do grep -q "Server is ready" "$OUTDIR/$label.log" 2>/dev/null && break; sleep 0.1; done
  OUT="$OUTDIR/$label.jsonl" ONLY=core SCALE="$SCALE" SERVER_PID=$pid "$RUN_SH" "nats://127.0.0.1:$PORT" "$label" >/dev/null 2>"$OUTDIR/$label.run.log" || true
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
bench_one executable "$HOSTBIN"
bench_one bun-src "$BUN" src/main.ts
{
  echo
  echo "## natsbench core (SCALE=$SCALE, raw client): msgs/s, executable vs bun src/main.ts"
  echo
  echo "| scenario | metric | executable | bun src/main.ts | ratio |"
  echo "| --- | --- | ---: | ---: | ---: |"
  "$BUN" -e '
    import { readFileSync } from "node:fs";
    const load = (f) => { try { return readFileSync(f, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l)); } catch { return []; } };
    const key = (r) => [r.scenario, r.size !== undefined ? `${r.size}B` : "", r.subs > 1 ? `x${r.subs}` : "", r.phase ?? ""].filter(Boolean).join(" ");
    const metric = (r) => r.scenario === "rss" ? ["server RSS MB", r.server_rss_kb / 1024]
      : r.scenario === "lat" || r.scenario === "reqrep" ? ["p50 us", r.p50_us]
      : ["msgs/s", r.msgs_per_s];
    const [a, b] = [load(process.argv[1]), load(process.argv[2])];
    const bm = new Map(b.map((r) => [key(r), r]));
    const f = (v) => (v === null || v === undefined || Number.isNaN(v) ? "-" : v < 1000 ? v.toFixed(1) : Math.round(v).toLocaleString("en-US"));
    for (const r of a) {
      const o = bm.get(key(r));
      const [m, x] = metric(r);
      const y = o ? metric(o)[1] : undefined;
      console.log(`| ${key(r)}${r.truncated ? " (truncated)" : ""} | ${m} | ${f(x)} | ${f(y)} | ${x && y ? (x / y).toFixed(2) : "-"} |`);
    }' "$OUTDIR/executable.jsonl" "$OUTDIR/bun-src.jsonl"
} | tee -a "$REPORT"
echo
echo "report: $REPORT"
