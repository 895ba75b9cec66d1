#!/usr/bin/env bash
# The near-copy check at the province's size (make bench-quality): one new report checked against
# 5,000,000 stored reports and indexed, next to brute force, on SQLite (bench/out/quality.sqlite3) and,
# when one answers, on PostgreSQL (database duban_bench_quality). The reports, their signatures and band
# keys are made once (bench/out/quality-corpus/) for both databases; each database is built when missing
# and kept. BENCH_SCALE=0.01 runs with 50,000 reports. Prints the BENCH lines (docs/quality.md).
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PG_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
case "$PG_URL" in postgres*) ;; *) PG_URL="postgres://postgres@127.0.0.1:5432/test" ;; esac

echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
status=0
echo "=== near-copy check, on SQLite ==="
env -u DATABASE_URL $BIN/python bench/quality_scale.py || status=1

if $BIN/python scripts/pg_reachable.py "$PG_URL"; then
  echo "=== near-copy check, on PostgreSQL (database duban_bench_quality on $PG_URL) ==="
  DATABASE_URL="$PG_URL" $BIN/python bench/quality_scale.py || status=1
else
  echo "PostgreSQL skipped: no server reachable"
fi
echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
