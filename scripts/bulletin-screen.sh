#!/usr/bin/env bash
# Pictures of the first pages of a rendered bulletin: the demo prefecture on a scratch SQLite database, last
# month's bulletin of 示范州 as PDF, pages 1–3 (the masthead, the unit table and its chart) as
# bench/screens/bulletin-page1.png … bulletin-page3.png (pdftoppm).
# Needs LibreOffice, the CJK fonts and poppler (scripts/docs-tools.sh, as root).
#   scripts/bulletin-screen.sh [PERIOD]      PERIOD: a month such as 2026-11 (default: last month)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$PWD/.venv/bin"
OUT="$PWD/bench/screens"
PERIOD="${1:-$(date -d "$(date +%Y-%m-01) -1 day" +%Y-%m)}"
for tool in soffice pdftoppm; do
  command -v "$tool" >/dev/null 2>&1 || { echo "$tool is missing: run scripts/docs-tools.sh as root" >&2; exit 1; }
done
scratch=$(mktemp -d "${TMPDIR:-/tmp}/duban-bulletin.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
export DATABASE_URL="sqlite:///$scratch/demo.sqlite3" DUBAN_MEDIA_ROOT="$scratch/media"
(
  cd "$scratch"
  "$BIN/duban" migrate --verbosity 0
  "$BIN/duban" demo >/dev/null
  "$BIN/duban" bulletin --scope 示范州 --period "$PERIOD" --format pdf --out "$scratch/bulletin.pdf" \
    --doc-number "州督通〔${PERIOD%%-*}〕${PERIOD##*-}号"
)
mkdir -p "$OUT"
for page in 1 2 3; do
  pdftoppm -png -r 110 -f "$page" -l "$page" -singlefile "$scratch/bulletin.pdf" "$OUT/bulletin-page$page"
  echo "$OUT/bulletin-page$page.png"
done
