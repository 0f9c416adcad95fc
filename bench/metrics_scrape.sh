#!/usr/bin/env bash
# The cost of Prometheus scraping natsedge: the core scenarios of ../shared/bench with /metrics scraped
# every second, beside the same runs without the scraper (issue 23's budget: under 2 % of throughput).
#
#   bench/metrics_scrape.sh [REPS]     # REPS interleaved pairs (default 3)
#
# Both variants serve monitoring on the same port, so the only difference is the scrape. Each run gets a
# fresh natsedge (bun src/main.ts); the scraper is curl in a loop, as Prometheus would poll from elsewhere.
# The summary (medians and spread per scenario) goes to stdout and bench/results/metrics-scrape-<stamp>.md.
# Env: SCALE (see run.sh), INTERVAL (seconds between scrapes, default 1). On a shared machine the runs'
# spread can exceed the budget itself; bench/metrics_cost.ts measures a scrape's CPU directly.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
SHARED="$ROOT/../shared/bench"
REPS=${1:-3}
INTERVAL=${INTERVAL:-1}
NE_PORT=${NE_PORT:-4334}
HTTP_PORT=${HTTP_PORT:-8334}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
OUTDIR="$HERE/results"
mkdir -p "$OUTDIR"
BASE_OUT="$OUTDIR/natsedge-idle-monitor-$stamp.jsonl"
SCRAPE_OUT="$OUTDIR/natsedge-scraped-$stamp.jsonl"
SCRAPES="$OUTDIR/scrapes-$stamp.txt"
[ -x "$SHARED/bin/natsbench" ] || "$SHARED/build.sh" >&2

wait_port() {
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "metrics_scrape.sh: nothing listening on $1" >&2
  return 1
}

run_once() { # label out scrape(0|1)
  "$ROOT/node_modules/.bin/bun" "$ROOT/src/main.ts" -a 127.0.0.1 -p "$NE_PORT" -m "$HTTP_PORT" >/dev/null 2>&1 &
  local pid=$! scraper=""
  wait_port "$NE_PORT"
  wait_port "$HTTP_PORT"
  if [ "$3" = 1 ]; then
    # Each scrape's status and time, so a failing or slow scrape shows in the results.
    (while :; do curl -s -o /dev/null -w '%{http_code} %{time_total}\n' "http://127.0.0.1:$HTTP_PORT/metrics" >>"$SCRAPES"; sleep "$INTERVAL"; done) &
    scraper=$!
  fi
  SERVER_PID=$pid BENCH_REP=$rep OUT="$2" ONLY=core "$SHARED/run.sh" "nats://127.0.0.1:$NE_PORT" "$1" >/dev/null
  if [ -n "$scraper" ]; then kill "$scraper"; wait "$scraper" 2>/dev/null || true; fi
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

for rep in $(seq 1 "$REPS"); do
  echo "== repetition $rep/$REPS" >&2
  # Alternate which variant goes first, so a drift in the machine's load does not favour one.
  if [ $((rep % 2)) -eq 1 ]; then
    run_once natsedge-idle-monitor "$BASE_OUT" 0
    run_once natsedge-scraped "$SCRAPE_OUT" 1
  else
    run_once natsedge-scraped "$SCRAPE_OUT" 1
    run_once natsedge-idle-monitor "$BASE_OUT" 0
  fi
done

{
  "$SHARED/bin/natsbench" summarize "$BASE_OUT" "$SCRAPE_OUT"
  echo
  awk '{ n++; if ($1 != 200) bad++; t += $2; if ($2 > max) max = $2 } END { printf "scrapes: %d, non-200: %d, mean %.1f ms, max %.1f ms\n", n, bad, 1000 * t / n, 1000 * max }' "$SCRAPES"
} | tee "$OUTDIR/metrics-scrape-$stamp.md"
