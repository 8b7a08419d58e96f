# The README's two commands: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test install install-test bench mutation clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m compileall -q policywatch tracker db crawler schedules
	touch $@

install install-test: $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/python -m policywatch.demo

test: $(VENV)/.installed
	$(BIN)/python -m pytest -q

bench: $(VENV)/.installed
	$(BIN)/python bench/diff_bench.py
	$(BIN)/python bench/materiality_eval.py
	$(BIN)/python bench/cosmetic_bench.py
	$(BIN)/python bench/storage_bench.py
	$(BIN)/python bench/crawl_bench.py
	$(BIN)/python bench/warc_bench.py
	$(BIN)/python bench/speed_bench.py

# Mutation testing of the core modules against their fast tests (slow: not part of CI).
# `make mutation MODULES="align cdx"` runs a subset; scores go to build/mutation/scores.json.
# Its own venv: mutmut brings libcst, with which hypothesis' failure-patch writer crashes pytest.
MUTVENV := build/mutation-venv
$(MUTVENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(MUTVENV) || python3 -m venv $(MUTVENV)
	$(MUTVENV)/bin/python -m pip install --quiet --upgrade pip
	$(MUTVENV)/bin/python -m pip install --quiet -e '.[test,mutation]'
	touch $@

mutation: $(MUTVENV)/.installed
	$(MUTVENV)/bin/python bench/mutation.py $(MODULES)

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
