#!/usr/bin/env bash
# The documents benchmark (make bench-docs): bulletins of a 州/市 and of the province, a 100,000-row 台账
# export and a 10,000-row 台账 import, on the province data set (bench/sweep.py's: bench/out/province.sqlite3,
# duban_bench), each beside the limit — on SQLite and, when one answers, on PostgreSQL. The data set is built
# when missing and kept. Prints the BENCH lines; exits 1 when any measure failed.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PG_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
case "$PG_URL" in postgres*) ;; *) PG_URL="postgres://postgres@127.0.0.1:5432/test" ;; esac

echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
status=0
echo "=== documents, province, on SQLite ==="
env -u DATABASE_URL $BIN/python bench/docs.py "$@" || status=1

if $BIN/python scripts/pg_reachable.py "$PG_URL"; then
  echo "=== documents, province, on PostgreSQL (database duban_bench on $PG_URL) ==="
  DATABASE_URL="$PG_URL" $BIN/python bench/docs.py "$@" || status=1
else
  echo "PostgreSQL skipped: no server reachable"
fi
echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
