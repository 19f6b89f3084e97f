# BOMS: `make run` starts the server on its embedded defaults; `make test` runs the whole suite.
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PYTHON ?= python3

STATIC := server/static
VENDOR := $(STATIC)/vendor/.stamp
JSWORKER := tests/camunda7/js/node_modules/.stamp
PO     := $(wildcard server/translations/*/LC_MESSAGES/messages.po)
MO     := $(PO:.po=.mo)

.PHONY: install assets translations run test bench lint clean chromium fuzz

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Bootstrap, the bpmn-js viewer and gridstack (the dashboard designer's grid) come from npm (package-lock.json pins them) and are served by BOMS itself.
$(VENDOR): $(STATIC)/package.json $(STATIC)/package-lock.json
	cd $(STATIC) && npm ci --no-audit --no-fund --loglevel=error
	rm -rf $(STATIC)/vendor && mkdir -p $(STATIC)/vendor/bpmn-js $(STATIC)/vendor/gridstack
	cp $(STATIC)/node_modules/bootstrap/dist/css/bootstrap.min.css $(STATIC)/vendor/
	cp $(STATIC)/node_modules/bootstrap/dist/js/bootstrap.bundle.min.js $(STATIC)/vendor/
	cp $(STATIC)/node_modules/bpmn-js/dist/bpmn-navigated-viewer.production.min.js $(STATIC)/vendor/bpmn-js/
	cp -r $(STATIC)/node_modules/bpmn-js/dist/assets/. $(STATIC)/vendor/bpmn-js/
	cp $(STATIC)/node_modules/gridstack/dist/gridstack-all.js $(STATIC)/node_modules/gridstack/dist/gridstack.min.css \
		$(STATIC)/node_modules/gridstack/LICENSE $(STATIC)/vendor/gridstack/
	touch $(VENDOR)

# Camunda's official JavaScript external-task client, which tests/camunda7/test_js_client.py runs against BOMS.
$(JSWORKER): tests/camunda7/js/package.json tests/camunda7/js/package-lock.json
	cd tests/camunda7/js && npm ci --no-audit --no-fund --loglevel=error
	touch $(JSWORKER)

%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@

assets: $(VENDOR) $(MO)

# After changing user-visible strings: extract them, merge into each language's .po, then translate.
translations: install
	$(BIN)/pybabel extract -F server/babel.cfg -k _l -k lazy_gettext -o server/translations/messages.pot .
	$(BIN)/pybabel update -i server/translations/messages.pot -d server/translations --no-fuzzy-matching

install: $(STAMP) assets $(JSWORKER)

run: install
	$(BIN)/boms db upgrade
	$(BIN)/boms demo
	$(BIN)/boms serve

# Every test, on every core (pytest-xdist: each worker has its own database templates and browser);
# TEST_WORKERS=0 runs it in one process; `pytest -m "not slow"` leaves out the kill -9 and big-data tests
# while working.
TEST_WORKERS ?= auto
test: install
	$(BIN)/pytest -n $(TEST_WORKERS)

# The PostgreSQL server the benchmarks make their own database on (created and dropped per run).
BENCH_PG ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres

bench: install
	$(BIN)/python bench/history_growth.py
	$(BIN)/python bench/engine_throughput.py
	$(BIN)/python bench/multi_instance.py
	$(BIN)/python bench/timers.py
	$(BIN)/python bench/audit_append.py
	$(BIN)/python bench/faults.py
	$(BIN)/python bench/engine_throughput.py --database-url $(BENCH_PG)
	$(BIN)/python bench/inbox_scale.py
	$(BIN)/python bench/inbox_scale.py --database-url $(BENCH_PG)
	$(BIN)/python bench/storage.py
	$(BIN)/python bench/storage.py --database-url $(BENCH_PG)

# The bounded schemathesis run CI makes (bench/fuzz_api.py; a new SQLite file unless given --database-url).
fuzz: install
	$(BIN)/python bench/fuzz_api.py --examples 10

# The import contract (pyproject.toml [tool.importlinter]): layers, SpiffWorkflow only in server.engine, no cycles.
lint: install
	$(BIN)/ruff check server admin tests bench
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache $(STATIC)/node_modules $(STATIC)/vendor $(MO)

# Debian's Chromium for the browser tests (Playwright's own download does not work on these machines).
chromium:
	test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium)
