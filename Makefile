# BOMS: `make run` starts the server on its embedded defaults; `make test` runs the whole suite.
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PYTHON ?= python3

.PHONY: install run test bench lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/boms db upgrade
	$(BIN)/boms demo
	$(BIN)/boms serve

test: install
	$(BIN)/pytest

bench: install
	$(BIN)/python bench/history_growth.py
	$(BIN)/python bench/engine_throughput.py

lint: install
	$(BIN)/ruff check server admin tests bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
