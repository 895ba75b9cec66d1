#!/usr/bin/env bash
# Run the whole suite on SQLite, then on PostgreSQL if one answers.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PG_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"

$BIN/ruff check . || exit 1
$BIN/duban makemigrations --check --dry-run >/dev/null || { echo "model changes without a migration"; exit 1; }

ran=()
echo "=== test suite on SQLite ==="
env -u DATABASE_URL $BIN/pytest -q "$@"
status=$?
[ $status -eq 0 ] || exit $status
ran+=("SQLite")

if $BIN/python scripts/pg_reachable.py "$PG_URL"; then
  echo "=== test suite on PostgreSQL ($PG_URL) ==="
  DATABASE_URL="$PG_URL" $BIN/pytest -q "$@"
  status=$?
  [ $status -eq 0 ] || exit $status
  ran+=("PostgreSQL")
else
  echo "PostgreSQL skipped: no server reachable"
fi
echo "databases tested: ${ran[*]}"
