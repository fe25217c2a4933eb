# translate-jobs: `make run` runs the whole service locally; `make test` runs the tests.
# Both install what they need first. SAM CLI and the AWS CLI get virtualenvs of their own
# (each pins a botocore of its own that would hold the application's back).

SHELL := /bin/bash
# python3.13 (the Lambda runtime) when this machine has it, through pyenv or on PATH; else python3.
PYTHON ?= $(shell for c in "python3.13" "env PYENV_VERSION=$$(pyenv versions --bare 2>/dev/null | grep '^3\.13' | tail -1) python3.13" "python3"; do \
            $$c -c 'import sys; assert sys.version_info >= (3, 11); print(sys.executable)' 2>/dev/null && break; done)
VENV := .venv
PORT ?= 3000
EMULATOR_PORT ?= 5000
FUNCTION ?= ApiFunction
EVENT ?= events/api/describe.json
# The address `make run` listens on: loopback unless given on the command line (zsh and others put the
# machine's name in $HOST), and another address also needs ALLOW_NETWORK=1 (the emulator has no authentication).
ifneq ($(origin HOST),command line)
HOST := 127.0.0.1
endif
ALLOW_NETWORK ?=
# Where `make run` keeps its state between runs (docs/local-state.md); FRESH=1 starts empty; empty: memory only.
LOCAL_STATE_DIR ?= .local-state
FRESH ?=

# What the Lambda python3.13 runtime provides, for the artifact test (docs/deploying.md).
LAMBDA_RUNTIME_SDK := boto3==1.35.60 botocore==1.35.60

.PHONY: run reset install test test-unit test-e2e test-slow test-chaos test-long lint invoke bench bench-memory bench-scale bench-engine bench-state bench-speed-patches build artifact-test deploy clean

# Each install says what it does and about how long it takes (on 2 cores, from PyPI); it runs once, and again
# only when its requirements change.
$(VENV)/.installed: requirements-dev.txt layers/shared/requirements.txt layers/engine/requirements.txt
	@echo ">>> Installing the service's and its tests' Python packages (boto3, moto, Powertools, CTranslate2, ...) into $(VENV): about 2 minutes, once"
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

.venv-awscli/.installed:
	@echo ">>> Installing the AWS CLI into .venv-awscli: under a minute, once"
	test -d .venv-awscli || $(PYTHON) -m venv .venv-awscli
	.venv-awscli/bin/pip install -q --disable-pip-version-check awscli==1.46.3
	touch $@

.venv-sam/.installed:
	@echo ">>> Installing SAM CLI into .venv-sam (sam validate, sam build): about 2 minutes, once"
	test -d .venv-sam || $(PYTHON) -m venv .venv-sam
	.venv-sam/bin/pip install -q --disable-pip-version-check aws-sam-cli==1.170.0
	touch $@

# checkov (the IaC scanner) pins its own boto3, pydantic and more: a venv of its own too.
.venv-checkov/.installed:
	@echo ">>> Installing checkov (make lint's template scanner) into .venv-checkov: about 2 minutes, once"
	test -d .venv-checkov || $(PYTHON) -m venv .venv-checkov
	.venv-checkov/bin/pip install -q --disable-pip-version-check checkov==3.3.30
	touch $@

# Debian's Chromium and its WebDriver, for the console's browser test (tests/e2e/test_console_browser.py).
CHROMEDRIVER := /usr/bin/chromedriver
$(CHROMEDRIVER):
	@echo ">>> Installing Debian's chromium and chromium-driver (apt-get, as root) for the browser test: 1-2 minutes, once"
	$(if $(filter 0,$(shell id -u)),,sudo )apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(if $(filter 0,$(shell id -u)),,sudo )apt-get install -y -qq chromium chromium-driver

## run: the whole service locally: API on $(HOST):$(PORT), moto on $(HOST):$(EMULATOR_PORT), the browser console on
## $(HOST):3001 (CONSOLE_PORT); job lines in the terminal, the functions' logs in .run/ (LOGS=terminal: here too);
## its state kept in $(LOCAL_STATE_DIR) across restarts and kill -9 (FRESH=1 starts empty; docs/local-state.md)
run: $(VENV)/.installed .venv-awscli/.installed
	LOCAL_STATE_DIR="$(LOCAL_STATE_DIR)" FRESH="$(FRESH)" $(VENV)/bin/python -m translate_jobs_local run --host $(HOST) \
		--port $(PORT) --emulator-port $(EMULATOR_PORT) $(if $(ALLOW_NETWORK),--allow-network)

## reset: empty $(LOCAL_STATE_DIR), so the next `make run` starts from template.yaml alone (refused while one runs on it)
reset: $(VENV)/.installed
	LOCAL_STATE_DIR="$(LOCAL_STATE_DIR)" $(VENV)/bin/python -m translate_jobs_local reset

## test-unit: tests/unit alone (no moto, no network; a few seconds)
test-unit: $(VENV)/.installed
	$(VENV)/bin/python -m pytest tests/unit

## test: the tests a change needs, in under 2 minutes: tests/unit first (on their own, so its conftest sees every import),
## then the rest but e2e, chaos, long and artifact, each on every core (pytest-xdist; a module stays in one worker, each
## worker has its own moto stack)
test: $(VENV)/.installed .venv-awscli/.installed .venv-sam/.installed
	$(VENV)/bin/python -m pytest tests/unit -q -n auto
	$(VENV)/bin/python -m pytest -m "not e2e and not chaos and not long and not artifact" --ignore=tests/unit -n auto --dist loadfile

## test-e2e: tests/e2e, `make run` as a subprocess, driven as the README does, the console in headless Chromium
## (screenshots in tests/e2e/screenshots/); CI runs it after `make test`
test-e2e: $(VENV)/.installed .venv-awscli/.installed $(CHROMEDRIVER)
	$(VENV)/bin/python -m pytest -m e2e -n auto --dist loadfile

## test-slow: e2e, chaos and long in one run on every core (what CI runs after `make test`: one pytest run keeps
## both cores busy while one worker has the long fuzz or the docs' pages)
test-slow: $(VENV)/.installed .venv-awscli/.installed $(CHROMEDRIVER)
	$(VENV)/bin/python -m pytest -m "e2e or chaos or long" -n auto --dist loadfile

## install: every virtualenv and the browser, at once (each install is mostly waiting on PyPI)
install: $(VENV)/.installed .venv-awscli/.installed .venv-sam/.installed .venv-checkov/.installed .venv-lambda/.installed $(CHROMEDRIVER)

## test-chaos: jobs under injected AWS faults, over more seeds than `make test` runs (CI runs it)
test-chaos: $(VENV)/.installed
	$(VENV)/bin/python -m pytest -m chaos

## test-long: what make test leaves out to stay under 2 minutes: List's cost at 3,000 jobs, the fuzz at 100,000 requests,
## whole ctranslate2 jobs, the state folder's crash and clean-stop runs, the slowest other integration tests (CI runs it)
test-long: $(VENV)/.installed
	$(VENV)/bin/python -m pytest -m long -n auto --dist load

## lint: ruff, mypy, cfn-lint, sam validate --lint and checkov (each skip has its reason in template.yaml)
lint: $(VENV)/.installed .venv-sam/.installed .venv-checkov/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/cfn-lint template.yaml
	SAM_CLI_TELEMETRY=0 .venv-sam/bin/sam validate --lint
	BC_SKIP_MAPPING=TRUE .venv-checkov/bin/checkov --file template.yaml --framework cloudformation --quiet --compact --skip-download

## invoke: like `sam local invoke`, against the `make run` on EMULATOR_PORT (or $$AWS_ENDPOINT_URL) (FUNCTION=ApiFunction EVENT=events/...)
invoke: $(VENV)/.installed
	$(VENV)/bin/python -m translate_jobs_local invoke --emulator-port $(EMULATOR_PORT) $(FUNCTION) $(EVENT)

.venv-ministack/.installed:
	test -d .venv-ministack || $(PYTHON) -m venv .venv-ministack
	.venv-ministack/bin/pip install -q --disable-pip-version-check ministack==1.5.33
	touch $@

## bench: issue 13's goals in one table: Stop, Describe, Start, unknown Stop beside MiniStack; the Stop handler
## in-process (warm, cold) beside a bare boto3 handler; layer size (after make build); documents per CPU-second
bench: $(VENV)/.installed .venv-ministack/.installed
	MINISTACK=.venv-ministack/bin/ministack $(VENV)/bin/python tests/benchmarks/stop_latency.py

## bench-memory: make run's resident memory after start-up, after jobs and after API requests (takes a while)
bench-memory: $(VENV)/.installed
	$(VENV)/bin/python tests/benchmarks/memory.py $(BENCH_MEMORY_ARGS)

.PHONY: bench-documents
## bench-documents: the worst documents of each format (issue 26) beside normal ones of the same size: CPU and peak memory
bench-documents: $(VENV)/.installed
	$(VENV)/bin/python tests/benchmarks/hostile_documents.py $(FORMATS)

## bench-scale: jobs of 1,000-50,000 documents on the local stack and Stop early in big ones (tens of minutes),
## then the in-process scale benchmarks of the functions when present (tests/benchmarks/scale_functions.py)
bench-scale: $(VENV)/.installed
	$(VENV)/bin/python tests/benchmarks/scale_local.py
	@if [ -f tests/benchmarks/scale_functions.py ]; then $(VENV)/bin/python tests/benchmarks/scale_functions.py; fi

## bench-engine: the ctranslate2 engine on a Transformer-base model (built once into .cache/): a job through make run
## beside CTranslate2 called directly, and one batch in Lambda's shape with the cost model (BENCH_ENGINE_ARGS=--documents 200)
bench-engine: $(VENV)/.installed .venv-awscli/.installed
	$(VENV)/bin/python tests/benchmarks/engine.py $(BENCH_ENGINE_ARGS)

## bench-speed-patches: what each of local_stack/moto_speed.py's patches is worth, each undone and made again in turn
bench-speed-patches: $(VENV)/.installed
	$(VENV)/bin/python tests/benchmarks/speed_patches.py $(BENCH_SPEED_ARGS)

## bench-state: what keeping make run's state costs: a save and a restore of 10,000 jobs and 50,000 documents,
## the disk they use, and Stop with and without it side by side (docs/local-state.md; takes a while)
bench-state: $(VENV)/.installed
	$(VENV)/bin/python tests/benchmarks/local_state.py $(BENCH_STATE_ARGS)

.venv-lambda/.installed: Makefile
	rm -rf .venv-lambda && $(PYTHON) -m venv .venv-lambda
	.venv-lambda/bin/pip install -q --disable-pip-version-check $(LAMBDA_RUNTIME_SDK)
	touch $@

## build: sam build into .aws-sam/build (SAM's builder wants python3.13 on PATH: the one found above)
build: .venv-sam/.installed
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' || { \
		echo "error: make build needs Python 3.13 (the functions' Runtime); found $(PYTHON)." \
		     "Install it (pyenv install 3.13) or pass PYTHON=/path/to/python3.13" >&2; exit 1; }
	PATH="$(dir $(PYTHON)):$$PATH" PYTHON="$(PYTHON)" SAM_CLI_TELEMETRY=0 .venv-sam/bin/sam build

## artifact-test: build, then run each built handler as Lambda would (tests/artifact)
artifact-test: build $(VENV)/.installed .venv-lambda/.installed
	$(VENV)/bin/python -m pytest -m artifact tests/artifact

## deploy: with SAM CLI (needs an AWS account)
deploy: build
	SAM_CLI_TELEMETRY=0 .venv-sam/bin/sam deploy --config-env $(or $(ENV),default)

clean:
	rm -rf $(VENV) .venv-awscli .venv-sam .venv-lambda .venv-checkov .venv-ministack .aws-sam .pytest_cache .mypy_cache .ruff_cache .cache
