#!/usr/bin/env bash
# The API under load (make bench-api): bench/api.py on SQLite and, when one answers, on PostgreSQL.
# Prints the BENCH lines; the data sets are bench/sweep.py's (bench/out/, duban_bench), built when missing.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PG_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
case "$PG_URL" in postgres*) ;; *) PG_URL="postgres://postgres@127.0.0.1:5432/test" ;; esac

status=0
echo "=== API bench on SQLite ==="
env -u DATABASE_URL $BIN/python bench/api.py || status=1

if $BIN/python scripts/pg_reachable.py "$PG_URL"; then
  echo "=== API bench on PostgreSQL (database duban_bench on $PG_URL) ==="
  DATABASE_URL="$PG_URL" $BIN/python bench/api.py || status=1
else
  echo "PostgreSQL skipped: no server reachable"
fi
exit $status
