#!/usr/bin/env bash
# The escalation benchmarks (make bench-sweep): the escalation sweep on the province data set and
# delivering the outbox with duban worker, on SQLite and, when one answers, on PostgreSQL. Prints
# the BENCH lines. The province is bench/sweep.py's (bench/out/, duban_bench; built when missing);
# the delivery bench makes its own database again on every run (bench/out/delivery.sqlite3,
# duban_bench_delivery).
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PG_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
case "$PG_URL" in postgres*) ;; *) PG_URL="postgres://postgres@127.0.0.1:5432/test" ;; esac

echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
status=0
echo "=== escalation bench on SQLite ==="
env -u DATABASE_URL $BIN/python bench/escalation.py || status=1
echo "=== delivery bench on SQLite ==="
env -u DATABASE_URL $BIN/python bench/delivery.py || status=1

if $BIN/python scripts/pg_reachable.py "$PG_URL"; then
  echo "=== escalation bench on PostgreSQL (database duban_bench on $PG_URL) ==="
  DATABASE_URL="$PG_URL" $BIN/python bench/escalation.py || status=1
  echo "=== delivery bench on PostgreSQL (database duban_bench_delivery on $PG_URL) ==="
  DATABASE_URL="$PG_URL" $BIN/python bench/delivery.py || status=1
else
  echo "PostgreSQL skipped: no server reachable"
fi
echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
