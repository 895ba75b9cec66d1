#!/usr/bin/env bash
# Run the whole suite on SQLite and, if one answers, on PostgreSQL: both at once, a core each.
# Each run writes its own log (var/test/sqlite.log, var/test/postgresql.log), printed when it ends.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PG_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"

$BIN/ruff check . || exit 1
$BIN/duban makemigrations --check --dry-run >/dev/null || { echo "model changes without a migration"; exit 1; }

# The two runs share no file: each has its own pytest temporary directory and media and static
# roots. Their PostgreSQL databases are named after the pytest process (settings.py,
# tests/own_database.py), and the servers the tests start listen on free ports.
LOGS=var/test
mkdir -p "$LOGS"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/duban-test.XXXXXX")
declare -A name_of label_of=([sqlite]="SQLite" [postgresql]="PostgreSQL")
running=()
trap '[ ${#running[@]} -eq 0 ] || kill "${running[@]}" 2>/dev/null; rm -rf "$scratch"' EXIT

start() {  # start NAME [env arguments...]: the suite in the background
  local name=$1
  shift
  mkdir -p "$scratch/$name"
  env "$@" DUBAN_MEDIA_ROOT="$scratch/$name/media" DUBAN_STATIC_ROOT="$scratch/$name/static" \
    $BIN/pytest -q --basetemp="$scratch/$name/tmp" "${PYTEST_ARGS[@]}" >"$LOGS/$name.log" 2>&1 &
  running+=($!)
  name_of[$!]=$name
}

PYTEST_ARGS=("$@")
start sqlite -u DATABASE_URL
if $BIN/python scripts/pg_reachable.py "$PG_URL"; then
  label_of[postgresql]="PostgreSQL ($PG_URL)"
  start postgresql DATABASE_URL="$PG_URL"
else
  echo "PostgreSQL skipped: no server reachable"
fi

declare -A passed
first_failure=0
while [ ${#running[@]} -gt 0 ]; do
  wait -n -p finished "${running[@]}"
  status=$?
  name=${name_of[$finished]}
  still=()
  for pid in "${running[@]}"; do [ "$pid" = "$finished" ] || still+=("$pid"); done
  running=("${still[@]}")
  echo "=== test suite on ${label_of[$name]} (exit $status, log $LOGS/$name.log) ==="
  cat "$LOGS/$name.log"
  if [ $status -eq 0 ]; then
    passed[$name]=1
  elif [ $first_failure -eq 0 ]; then
    first_failure=$status
  fi
done
[ $first_failure -eq 0 ] || { echo "test suite failed"; exit $first_failure; }

ran=()
for name in sqlite postgresql; do
  [ -n "${passed[$name]:-}" ] && ran+=("${label_of[$name]%% *}")
done
echo "databases tested: ${ran[*]}"
