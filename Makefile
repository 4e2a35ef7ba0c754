# Two commands do all the set-up on a fresh machine:
#   make demo   -> the quickstart on the embedded backend with the real MiniLM model
#   make test   -> lint, type-check and the whole test suite
#
# Both install from requirements/dev.lock, the committed lock of every package the
# extras pull in, so an upstream release cannot change what CI runs. `make lock`
# regenerates it; `make test-latest` runs the same suite on the newest versions the
# ranges in pyproject.toml allow, in a separate venv, to find drift on purpose.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
LOCK := requirements/dev.lock
# A CPU build of torch is all the package needs; pin it so pip does not pull a CUDA build.
TORCH_SPEC ?= torch==2.13.0
PIP_SPEC ?= pip==26.3
PIP_TOOLS_SPEC ?= pip-tools==7.6.2
EXTRAS ?= huggingface,minilm,onnx,cli,ingest,pdf,ann,server,testing,test,bench
STAMP := $(VENV)/.installed-stamp
LATEST_VENV ?= .venv-latest
LOCK_VENV ?= .venv-lock

JS_DIR := tests/js
JS_STAMP := $(JS_DIR)/node_modules/.installed-stamp

.PHONY: demo test lint typecheck unit bench lock test-latest clean js

$(STAMP): $(LOCK) pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "$(PIP_SPEC)"
	$(BIN)/python -m pip install --quiet -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

demo: $(STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/python examples/quickstart.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) js
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest

# The AWS SDK for JavaScript v3, from tests/js/package-lock.json, for the test that runs
# it against the served endpoint. Skipped (and that test with it) where npm is absent.
js:
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory $(JS_STAMP); \
	else echo "npm not found: the JavaScript SDK test will be skipped"; fi

$(JS_STAMP): $(JS_DIR)/package.json $(JS_DIR)/package-lock.json
	cd $(JS_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $(JS_STAMP)

test: lint typecheck unit

bench: $(STAMP)
	$(BIN)/python benchmarks/local_client.py

# Regenerate the lock from pyproject.toml's extras (run after changing a dependency range,
# and on purpose now and then to take upstream releases; commit the result).
lock:
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet "$(PIP_SPEC)" "$(PIP_TOOLS_SPEC)"
	echo "$(TORCH_SPEC)" > $(LOCK_VENV)/torch-constraint.txt
	$(LOCK_VENV)/bin/pip-compile --quiet --upgrade --strip-extras --allow-unsafe \
		--no-emit-index-url --no-emit-find-links --build-deps-for=editable \
		--extra $(EXTRAS) -c $(LOCK_VENV)/torch-constraint.txt \
		-o $(LOCK) pyproject.toml
	# The lock names torch by its public version; pip picks the CPU build where one is offered.
	sed -i -e 's/^torch==\([0-9.]*\)+cpu$$/torch==\1/' \
		-e 's|-c $(LOCK_VENV)/torch-constraint.txt|-c torch-constraint.txt ($(TORCH_SPEC))|' \
		-e 's|--constraint=$(LOCK_VENV)/torch-constraint.txt|--constraint=torch-constraint.txt|' $(LOCK)

# The same suite on the newest releases the dependency ranges allow (torch stays pinned).
test-latest:
	rm -rf $(LATEST_VENV)
	$(PYTHON) -m venv $(LATEST_VENV)
	$(LATEST_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LATEST_VENV)/bin/python -m pip install --quiet "$(TORCH_SPEC)"
	$(LATEST_VENV)/bin/python -m pip install --quiet --upgrade --upgrade-strategy eager \
		"$(TORCH_SPEC)" -e ".[$(EXTRAS)]"
	$(LATEST_VENV)/bin/python -m pip list --format=freeze > $(LATEST_VENV)/versions.txt
	# Every check runs, so one report shows all the drift; the target fails if any did.
	status=0; \
	$(LATEST_VENV)/bin/ruff check . || status=1; \
	$(LATEST_VENV)/bin/ruff format --check . || status=1; \
	$(LATEST_VENV)/bin/mypy || status=1; \
	HF_HUB_OFFLINE=1 $(LATEST_VENV)/bin/python -m pytest -p no:cacheprovider || status=1; \
	exit $$status

clean:
	rm -rf $(VENV) $(LATEST_VENV) $(LOCK_VENV) .pytest_cache .mypy_cache .ruff_cache $(JS_DIR)/node_modules
