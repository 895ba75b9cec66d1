#!/usr/bin/env bash
# The near-copy check at the province's size (make bench-quality): one new report checked against
# 5,000,000 stored reports and indexed, next to brute force, on SQLite (bench/out/quality.sqlite3) and,
# when one answers, on PostgreSQL (database duban_bench_quality). The reports, their signatures and band
# keys are made once (bench/out/quality-corpus/) for both databases; each database is built when missing
# and kept. BENCH_SCALE=0.01 runs with 50,000 reports. Prints the BENCH lines (docs/quality.md).
exec "$(dirname "$0")/bench-both.sh" "near-copy check" bench/quality_scale.py "$@"
