#!/usr/bin/env bash
# The documents benchmark (make bench-docs): bulletins of a 州/市 and of the province, a 100,000-row 台账
# export and a 10,000-row 台账 import, on the province data set (bench/sweep.py's: bench/out/province.sqlite3,
# duban_bench), each beside the limit — on SQLite and, when one answers, on PostgreSQL. The data set is built
# when missing and kept. Prints the BENCH lines; exits 1 when any measure failed.
exec "$(dirname "$0")/bench-both.sh" "documents, province" bench/docs.py "$@"
