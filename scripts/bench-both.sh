#!/usr/bin/env bash
# One benchmark script on SQLite and, when one answers, on PostgreSQL, with the load average before and after:
#   scripts/bench-both.sh "WHAT" bench/SCRIPT.py [ARGS…]
# The script picks its own database on each (bench/_db.py). Exits 1 when either run failed.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
what=$1
shift
PG_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
case "$PG_URL" in postgres*) ;; *) PG_URL="postgres://postgres@127.0.0.1:5432/test" ;; esac

echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
status=0
echo "=== $what, on SQLite ==="
env -u DATABASE_URL $BIN/python "$@" || status=1

if $BIN/python scripts/pg_reachable.py "$PG_URL"; then
  echo "=== $what, on PostgreSQL ($PG_URL) ==="
  DATABASE_URL="$PG_URL" $BIN/python "$@" || status=1
else
  echo "PostgreSQL skipped: no server reachable"
fi
echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
