# yellowcart: `make demo` runs the server on a demo market, `make test` runs the whole suite.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo serve test lint typecheck pytest bench clean

install: $(STAMP)

# Re-runs only when the lock file or pyproject changes, so `make install` is cheap when up to date.
$(STAMP): requirements.lock pyproject.toml
	@$(PY) -c 'import sys; assert sys.version_info >= (3, 11), "yellowcart needs Python 3.11+"'
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

# The server starts at once; the feed's models train in the background (log: var/train.log) and are
# picked up within 10 s of being ready (until then the feed ranks with its hand-set blend).
demo: install
	$(BIN)/yellowcart migrate
	$(BIN)/yellowcart demo --if-empty --no-train
	@mkdir -p var
	$(BIN)/yellowcart train --if-missing >var/train.log 2>&1 &
	$(BIN)/yellowcart serve --port $(PORT)

serve: install
	$(BIN)/yellowcart serve --port $(PORT)

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy src

# Two workers (pytest-xdist): the suite is mostly waiting on databases and sockets, and CI has 2 cores.
# `make pytest WORKERS=0` runs it in one process.
WORKERS ?= 2
pytest: install
	$(BIN)/python -m pytest $(if $(filter 0,$(WORKERS)),,-n $(WORKERS))

test: lint typecheck pytest

bench: install
	$(BIN)/python bench/flash_sale.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
