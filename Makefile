# Two commands do all the set-up on a fresh machine:
#   make demo   -> the quickstart on the embedded backend with the real MiniLM model
#   make test   -> lint, type-check and the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# A CPU build of torch is all the package needs; pin it so pip does not pull a CUDA build.
TORCH_SPEC ?= torch==2.13.0
EXTRAS ?= huggingface,minilm,cli,ingest,pdf,server,test
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck unit bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	touch $(STAMP)

demo: $(STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/python examples/quickstart.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest

test: lint typecheck unit

bench: $(STAMP)
	$(BIN)/python benchmarks/local_client.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
