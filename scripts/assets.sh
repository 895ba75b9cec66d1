#!/usr/bin/env bash
# The browser libraries (htmx, ECharts) come from the npm registry at build time and are served by
# duban itself from duban/static/vendor/: no page asks any other host for anything.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
vendor=duban/static/vendor
rm -rf "$vendor"
mkdir -p "$vendor"
cp node_modules/htmx.org/dist/htmx.min.js "$vendor/htmx.min.js"
cp node_modules/echarts/dist/echarts.min.js "$vendor/echarts.min.js"
touch "$vendor/.stamp"
