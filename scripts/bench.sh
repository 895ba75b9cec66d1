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

if $BIN/python - "$PG_URL" <<'PY'
import sys, psycopg, dj_database_url
cfg = dj_database_url.parse(sys.argv[1])
try:
    psycopg.connect(host=cfg["HOST"], port=cfg["PORT"] or 5432, user=cfg["USER"], dbname=cfg["NAME"],
                    password=cfg["PASSWORD"] or None, connect_timeout=3).close()
except Exception as exc:
    print(f"PostgreSQL not reachable at {sys.argv[1]}: {exc}")
    sys.exit(1)
PY
then
  echo "=== sweep bench on PostgreSQL (database duban_bench on $PG_URL) ==="
  DATABASE_URL="$PG_URL" $BIN/python bench/sweep.py || status=1
else
  echo "PostgreSQL skipped: no server reachable"
fi
exit $status
