# The two commands of the README: `make run` and `make test`.  Everything else is a helper.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint typecheck pytest catalogs bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

catalogs: $(VENV)/.installed
	$(BIN)/pybabel compile --domain messages --directory locales --statistics

run: $(VENV)/.installed catalogs
	$(BIN)/asesorbot run

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

pytest: $(VENV)/.installed-dev catalogs
	$(BIN)/pytest

test: $(VENV)/.installed-dev catalogs lint typecheck pytest

bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench.object_store
	$(BIN)/python -m bench.upload_document
	$(BIN)/python -m bench.telegram_webhook
	$(BIN)/python -m bench.reply_burst
	$(BIN)/python -m bench.outbox_broadcast
	$(BIN)/python -m bench.staff_screens
	$(BIN)/python -m bench.journey_messages

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
