#!/usr/bin/env bash
# The README's performance table, from go test -bench: every figure measured
# in one run beside a sequential one-cursor baseline that uses the same
# client and store. It takes 15 to 30 minutes and a few GB of disk (the
# million-opportunity file), and is not part of CI.
#
#   scripts/bench.sh                 every figure
#   scripts/bench.sh lists,429       only some: lists, detail, 429, overhead,
#                                    newest, incremental, file, heap
#
# The heap figures sync from a fake Lever run as its own process (a leversync
# binary built here), so the Go heap measured is the sync's alone.
# LEVERSYNC_BENCH_HEAPPROFILE=DIR also writes DIR/heap-<n>.pprof, a heap
# profile of the sync at its peak (go tool pprof -top DIR/heap-1000000.pprof).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/leversync" .
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(go version | cut -d' ' -f3-), load average $(cut -d' ' -f1-3 /proc/loadavg)"
if ! LEVERSYNC_BENCH_REPORT=1 LEVERSYNC_BENCH_ONLY="${1:-}" LEVERSYNC_FAKE_BIN="$dir/leversync" \
	go test -run '^$' -bench '^BenchmarkReport$' -benchtime 1x -timeout 90m ./lever/syncer/ >"$dir/out" 2>&1; then
	cat "$dir/out"
	exit 1
fi
sed -n '/^|/p' "$dir/out"
