# Houqin: the README's two commands are `make run` and `make test`.
# Both create .venv (Python 3.11+) and install the project when missing or out of date.

PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& echo $$p && break; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint deploy-check fuzz bench clean

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Houqin needs Python 3.11 or newer on PATH (python3.11, python3.12 ...)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

run: $(STAMP)
	$(BIN)/houqin run

test: $(STAMP) lint deploy-check
	$(BIN)/pytest -n 2 --dist loadgroup --durations=25  # two workers, files kept whole; the slowest 25 listed

lint: $(STAMP)
	$(BIN)/houqin openapi  # the committed API contract is what the routes declare (docs/api.md)
	$(BIN)/cfn-lint template.yaml
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache  # the layers (pyproject.toml, [tool.importlinter])

# What can be proved about a deployment without AWS (docs/deploy.md): translate + lint, queue
# timeouts, every handler imported with only its layers, package sizes for Lambda's platform.
deploy-check: $(STAMP)
	$(BIN)/houqin deploy-check

# Schemathesis against the running API, deeper than `make test`'s bounded sample (docs/api.md): random, more
# requests per route (HOUQIN_FUZZ_EXAMPLES, default 200).
fuzz: $(STAMP)
	HOUQIN_FUZZ_EXAMPLES=$${HOUQIN_FUZZ_EXAMPLES:-200} $(BIN)/pytest tests/contract -p no:cacheprovider -q

bench: $(STAMP)
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.tickets
	$(BIN)/python -m bench.swipes
	$(BIN)/python -m bench.roll
	$(BIN)/python -m bench.payroll
	$(BIN)/python -m bench.day
	$(BIN)/python -m bench.coldstart

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .houqin test-artifacts
