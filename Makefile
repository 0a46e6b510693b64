# The quick start: `make run` starts the bot, `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench bench-smoke clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

## Start the bot: live on Discord with DISCORD_TOKEN set, else the local playground.
run: $(STAMP)
	$(BIN)/fanbot

## Run the whole test suite.
test: $(STAMP)
	$(BIN)/python -m pytest

## Lint and type-check, as CI does.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## Run the benchmarks (a few minutes): print the table, write benchmarks/results.json.
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run_all

## The benchmarks at tiny sizes (seconds), as CI runs them so that they cannot rot.
bench-smoke: $(STAMP)
	$(BIN)/python -m benchmarks.run_all --smoke --out benchmarks/smoke-results.json

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
