# duban — the two commands of the README, and the benchmarks.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: run test test-sqlite test-postgres bench bench-api bench-sweep lint install clean

$(BIN)/duban: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip==25.3
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/duban

install: $(BIN)/duban

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

# The load generator (locust) is the optional extra `bench`, installed on first use.
$(BIN)/locust: $(BIN)/duban
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $(BIN)/locust

# The JSON API under load: N clients (locust) against duban serve, next to hand-written SQL (docs/bench.md).
bench-api: $(BIN)/locust
	@bash scripts/bench-api.sh

clean:
	rm -rf $(VENV) var duban.sqlite3*
