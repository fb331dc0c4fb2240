#!/usr/bin/env bash
# Component benchmarks (store, client, engine, dashboard), from go test -bench;
# scripts/bench.sh prints the sync's table. Each comparison is measured side
# by side in one run. Usage: scripts/bench-parts.sh [benchtime]
#   LARGE=1 also pages 1,000,000 opportunities from the fake (a few minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
t=${1:-3x}
echo "== store: one transaction per page of 100 vs one per record"
go test -run '^$' -bench 'Commit(Page100|PerRecord)$' -benchtime 2s ./store/
echo "== store: pages that replace stored candidates (each compared for removed personal data)"
go test -run '^$' -bench 'CommitOverwritePage100$' -benchtime 2s ./store/
echo "== store: the rewrite after a sync that removed personal data (LEVERSYNC_BENCH_OPPORTUNITIES, default 20,000)"
go test -run '^$' -bench 'Scrub$' -benchtime 3x ./store/
echo "== client: paging and decoding opportunities from the fake (no latency, no rate limit)"
go test -run '^$' -bench 'ClientDecode' -benchtime "$t" ./lever/
echo "== engine: end-to-end sync into bbolt (no latency, no rate limit)"
go test -run '^$' -bench 'SyncEndToEnd' -benchtime "$t" ./lever/syncer/
if [ "${LARGE:-}" = 1 ]; then
  echo "== fake Lever: serving 1,000,000 opportunities"
  go test -run '^$' -bench 'PageOpportunities' -benchtime 10000x -timeout 30m ./lever/fakelever/
fi
echo "== dashboard: one frame at 120x40, and the Jobs page"
go test -run '^$' -bench 'DashboardFrame|JobsFrame|JobsKey' -benchtime 3s ./ui/
echo "== dashboard: CPU under 100,000 events a second for 10 s (against a same-run baseline), and idle (30 s)"
go test -run '^$' -bench 'DashboardCPU|DashboardIdle' -benchtime 1x -timeout 5m ./ui/
