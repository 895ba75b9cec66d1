#!/usr/bin/env bash
# The benchmarks (make bench): the lights sweep on the province data set, on SQLite and,
# when one answers, on PostgreSQL. Prints the BENCH lines; the databases are kept in
# bench/out/ (SQLite) and duban_bench (PostgreSQL) so that later runs skip the build.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PG_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
case "$PG_URL" in postgres*) ;; *) PG_URL="postgres://postgres@127.0.0.1:5432/test" ;; esac

status=0
echo "=== sweep bench on SQLite ==="
env -u DATABASE_URL $BIN/python bench/sweep.py || status=1

if $BIN/python scripts/pg_reachable.py "$PG_URL"; then
  echo "=== sweep bench on PostgreSQL (database duban_bench on $PG_URL) ==="
  DATABASE_URL="$PG_URL" $BIN/python bench/sweep.py || status=1
else
  echo "PostgreSQL skipped: no server reachable"
fi
exit $status
