# duban — the two commands of the README, and the benchmarks.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: run test test-sqlite test-postgres bench bench-api bench-sweep bench-web bench-docs screens browser docs-tools bulletin-screen eval-extract eval-padding eval-quality bench-quality bench-voice bench-voice-db lint install clean
VENDOR := duban/static/vendor/.stamp

$(BIN)/duban: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip==25.3
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/duban

# htmx and ECharts from the npm registry, served by duban itself (scripts/assets.sh).
$(VENDOR): package.json package-lock.json scripts/assets.sh
	@bash scripts/assets.sh

install: $(BIN)/duban $(VENDOR)

# Debian's chromium and the CJK fonts, for the browser tests and screenshots (as root; .ci/run does it).
browser:
	@bash scripts/browser.sh

# Start duban with the demo prefecture on SQLite, a background worker beside the web server.
run: install
	$(BIN)/duban migrate --verbosity 0
	$(BIN)/duban demo --if-empty
	$(BIN)/duban serve --with-worker --bind 127.0.0.1:8000

# The whole suite on SQLite and, when one is reachable, on PostgreSQL, both at once (logs in var/test/).
test: install
	@bash scripts/test.sh

lint: install
	$(BIN)/ruff check .

bench: install
	@bash scripts/bench.sh

# The escalation sweep on the province data set and delivering its outbox, next to their limits (docs/bench.md).
bench-sweep: install
	@bash scripts/bench-sweep.sh

# LibreOffice, poppler and the CJK fonts, for bulletins as PDF and their pictures (as root; .ci/run does it).
docs-tools:
	@bash scripts/docs-tools.sh

# Pictures of pages 1–3 of a bulletin of the demo prefecture (masthead, table, chart), in bench/screens/.
bulletin-screen: install docs-tools
	@bash scripts/bulletin-screen.sh

# The load generator (locust) is the optional extra `bench`, installed on first use.
$(BIN)/locust: $(BIN)/duban
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $(BIN)/locust

# The JSON API under load: N clients (locust) against duban serve, next to hand-written SQL (docs/bench.md).
bench-api: $(BIN)/locust
	@bash scripts/bench-api.sh

# Every page, one request at a time: p50/p95 server time at the prefecture and province sizes, beside the SQL alone (docs/bench.md).
bench-web: install
	@bash scripts/bench-web.sh

# Bulletins, a 100,000-row 台账 export and a 10,000-row import at the province size: time and peak memory, beside the SQL alone (docs/bench.md).
bench-docs: install
	@bash scripts/bench-docs.sh

# 智能分解 against the hand-annotated set in bench/extract/: precision, recall and F1 of item boundaries, lead
# units, other units and deadlines, and the time for a 100-page document (docs/extract.md).
eval-extract: install
	$(BIN)/python bench/extract/check_gold.py
	$(BIN)/python bench/eval_extract.py

# Padding advice (套话多、事实少) on hand-written reports, and near-copy detection on a planted corpus against brute
# force: precision, recall and time per report (docs/quality.md).
eval-padding: install
	$(BIN)/python bench/padding_eval.py

eval-quality: install
	$(BIN)/python bench/quality_eval.py

# Similar clues (群众线索): recall@3 on hand-written pairs among distractors, then suggestion latency and intake
# at 1,000,000 stored clues, beside a brute-force scan (duban/voice/similar.py).
bench-voice: install
	$(BIN)/python bench/voice_eval.py
	$(BIN)/python bench/voice_eval.py --scale 1000000

# The same suggestions from the database (duban/voice/store.py) at 100,000 stored clues, on SQLite and PostgreSQL:
# rebuild and submission rates, suggestion p50/p95 beside a brute-force scan, recall. BENCH_VOICE_CLUES to resize.
bench-voice-db: install
	@bash scripts/bench-both.sh "similar clues in the database" bench/voice_store.py

# The near-copy check at the province's size: one new report against 5,000,000 stored ones, p50/p95, indexing and
# memory, beside brute force, on SQLite and PostgreSQL (docs/quality.md). BENCH_SCALE=0.01 for 50,000 reports.
bench-quality: install
	@bash scripts/bench-quality.sh

# Pictures of every page of the browser story, at desktop and phone widths, in bench/screens/.
screens: install
	DUBAN_SCREENS=$(CURDIR)/bench/screens $(BIN)/pytest -q -p no:randomly tests/test_web_browser.py
	@ls bench/screens

clean:
	rm -rf $(VENV) var duban.sqlite3* node_modules duban/static/vendor
