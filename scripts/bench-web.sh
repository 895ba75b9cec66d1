#!/usr/bin/env bash
# The page benchmark (make bench-web): every page per role, time inside Django next to the same SQL
# alone, at two sizes — the demo prefecture (bench/out/prefecture.sqlite3, duban_bench_prefecture)
# and the province data set (bench/sweep.py's: bench/out/province.sqlite3, duban_bench) — on SQLite
# and, when one answers, on PostgreSQL. Each data set is built when missing and kept. Prints the
# BENCH lines; exits 1 when any page answered other than 200.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PG_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
case "$PG_URL" in postgres*) ;; *) PG_URL="postgres://postgres@127.0.0.1:5432/test" ;; esac

echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
status=0
for size in prefecture province; do
  echo "=== pages, $size, on SQLite ==="
  env -u DATABASE_URL $BIN/python bench/web.py "$size" || status=1
done

if $BIN/python scripts/pg_reachable.py "$PG_URL"; then
  for size in prefecture province; do
    database=$([ "$size" = prefecture ] && echo duban_bench_prefecture || echo duban_bench)
    echo "=== pages, $size, on PostgreSQL (database $database on $PG_URL) ==="
    DATABASE_URL="$PG_URL" $BIN/python bench/web.py "$size" || status=1
  done
else
  echo "PostgreSQL skipped: no server reachable"
fi
echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
