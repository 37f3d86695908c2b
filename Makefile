# edihub: the two commands of the quick start, and the rest.
#   make demo   set up and run the demo instance (SQLite, two demo suppliers), then keep the
#               console up on http://127.0.0.1:8080 until Ctrl-C
#   make test   set up everything the tests need (apt packages included) and run them all
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test bench mutation venv test-deps clean

demo: venv
	$(BIN)/edihub demo demo --serve

test: test-deps venv
	$(BIN)/python -m pytest -q -p no:cacheprovider

bench: venv
	$(BIN)/python -m bench

# Mutation testing of hub/domain and the 855/856/997 readers against tests/unit ([tool.mutmut]
# in pyproject.toml); a fresh run every time, then the score per module. Survivors that no
# test can or should kill are listed in tests/unit/MUTATION-SURVIVORS.md.
EDIHUB_SAMPLES_DIR ?= $(abspath $(CURDIR)/../shared/samples)

mutation: $(VENV)/.mutation
	rm -rf mutants
	mkdir -p mutants
	@echo "mutmut run: the progress goes to mutants/run.log"
	EDIHUB_SAMPLES_DIR="$(EDIHUB_SAMPLES_DIR)" $(BIN)/mutmut run > mutants/run.log 2>&1 \
		|| { tail -n 40 mutants/run.log; exit 1; }
	$(BIN)/python scripts/mutation_report.py

$(VENV)/.mutation: $(VENV)/.installed
	$(BIN)/pip install -q -c constraints.txt -e '.[test,mutation]'
	touch $@

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[test]'
	touch $@

test-deps:
	scripts/install-test-deps.sh

clean:
	rm -rf $(VENV) demo .pytest_cache .hypothesis .ruff_cache *.egg-info .bench test-artifacts mutants
