# Bastion: the two quick-start commands are `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint typecheck docs clean install dev

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Runtime install (stamp file: reinstall when pyproject.toml changes).
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

# Development install: the runtime plus the test and lint tools.
$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
dev: $(VENV)/.installed-dev

demo: $(VENV)/.installed
	$(BIN)/bastion demo

# The suite runs on every core (pytest-xdist): about half the time on the 2-core CI machine.
# It ends with its 25 slowest steps, so a CI log shows where the suite's 10 minutes go.
test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -q -n auto --dist worksteal --durations=25

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy src

docs: $(VENV)/.installed
	$(BIN)/python -m bastion.scenario.reference_doc > docs/scenario.md

clean:
	rm -rf $(VENV) bastion-demo .pytest_cache .mypy_cache .ruff_cache build dist
