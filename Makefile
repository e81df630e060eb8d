# Two commands matter: `make synth` and `make test`. Both set everything up first.
SHELL := /bin/bash
.DEFAULT_GOAL := synth
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
CDK := node_modules/.bin/cdk

export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_CLI_TELEMETRY := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PIP_NO_INPUT := 1

.PHONY: setup synth test lint typecheck bench clean drift-report bench-drift

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 or run make PYTHON=/path/to/python3.11" >&2; exit 1; }
	@echo "Setting up the Python environment in $(VENV) (log: .install.log)"
	@$(PYTHON) -m venv $(VENV)
	@{ $(PY) -m pip install "pip==26.3" "setuptools==84.2.1" "wheel==0.48.0" && $(PY) -m pip install -e '.[dev]'; } > .install.log 2>&1 \
		|| { tail -n 30 .install.log >&2; echo "error: pip install failed (full log: .install.log)" >&2; exit 1; }
	@touch $@

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "error: npm not found; install Node.js 20+ (Debian: apt-get install nodejs npm)" >&2; exit 1; }
	@echo "Installing the pinned AWS CDK CLI from package-lock.json"
	@npm ci --no-audit --no-fund --loglevel=error >> .install.log 2>&1 \
		|| { tail -n 30 .install.log >&2; echo "error: npm ci failed (full log: .install.log)" >&2; exit 1; }
	@touch $@

setup: $(VENV)/.installed node_modules/.installed

## Synthesize the reference app (embedded default config) into cdk.out/.
synth: setup
	@$(CDK) synth --no-notices --quiet $(if $(CONFIG),-c config=$(CONFIG),)
	@echo "Templates: $$(ls cdk.out/*.template.json | tr '\n' ' ')"

## Run the whole test suite (unit, snapshot, compliance, cfn-lint, example app).
test: setup
	@$(PY) -m pytest -n 2

lint: setup
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .

typecheck: setup
	@$(VENV)/bin/mypy constructs_lib stacks app.py

## Print synth wall times of the reference app vs an empty app, and resources per stack.
bench: setup
	@$(PY) scripts/bench_synth.py

clean:
	rm -rf cdk.out .pytest_cache .mypy_cache .ruff_cache build *.egg-info

## Drift report of local capture files (lambda/drift):
## make drift-report BASELINE=<csv> CAPTURE=<folder of .jsonl> [LABELS=<file>] OUT=<report.json>
drift-report: $(VENV)/.installed
	@if [ -z "$(BASELINE)" ] || [ -z "$(CAPTURE)" ] || [ -z "$(OUT)" ]; then \
		echo "usage: make drift-report BASELINE=<csv> CAPTURE=<folder of .jsonl> [LABELS=<file>] OUT=<report.json>" >&2; exit 2; fi
	@PYTHONPATH=lambda/drift $(PY) -m drift_detector --baseline "$(BASELINE)" --capture "$(CAPTURE)" \
		$(if $(LABELS),--labels "$(LABELS)",) --out "$(OUT)"

## Drift detector speed: 1,000,000 capture records end to end on one core (and Evidently if installed).
bench-drift: $(VENV)/.installed
	@$(PY) scripts/bench_drift.py
