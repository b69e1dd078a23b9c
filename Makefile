# Two commands on a fresh machine (see README):
#   make run    install into .venv and start the assistant (text mode without a microphone)
#   make test   install into .venv with the test tools and the care platform's extra, and
#               run lint, types, the layer contract (lint-imports, docs/architecture.md)
#               and every test
# While changing the code:
#   make model  retrain the intent model (intents/model/*.json) after changing intents/
#               data, the corpus or the concepts; deterministic (python -m intents.train)
#   make check  the fast test tiers only (tests/unit, tests/data: pytest -m "not slow"),
#               under a minute; tests/cli, tests/audio, tests/platform are marked slow
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: run test check bench lint clean model

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/activate pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test,platform]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/assistant run

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

test: $(VENV)/.installed-test lint
	$(BIN)/pytest -q

check: $(VENV)/.installed-test
	$(BIN)/pytest -q -m "not slow"

$(VENV)/.installed-train: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[train]'
	touch $@

model: $(VENV)/.installed-train
	$(BIN)/python -m intents.train

bench: $(VENV)/.installed-test
	$(BIN)/python bench/intents.py

clean:
	rm -rf $(VENV) build *.egg-info
