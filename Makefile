# stsdiag — the README's first two commands are `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
BIN    := $(VENV)/bin

.PHONY: install demo test lint typecheck unit lab bench fixtures snapshots docs clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]' --config-settings editable_mode=compat
	$(PY) -m compileall -q stsdiag
	touch $@

install: $(VENV)/.installed

## demo: the main job on bundled real inputs — the seed log, a real `aws --debug` log, and (as
## root) a probe inside a simulated private subnet. stsdiag exits 1 when it finds errors: shown,
## not fatal here.
demo: install
	@echo "== stsdiag parse-log fixtures/seed/seed-log.txt   (the wiki's debug line, botocore 1.18.6)"
	@$(BIN)/stsdiag parse-log fixtures/seed/seed-log.txt; echo "(exit status $$?)"
	@echo
	@echo "== stsdiag parse-log fixtures/logs/g2020-cli-noregion-global-timeout.log --region-hint ap-northeast-1"
	@echo "   (a real aws --debug run: no region configured, the global endpoint drops packets)"
	@$(BIN)/stsdiag parse-log fixtures/logs/g2020-cli-noregion-global-timeout.log --region-hint ap-northeast-1; echo "(exit status $$?)"
	@if [ -f tests/lab/__main__.py ] && [ "$$(id -u)" = 0 ]; then \
	  echo; echo "== stsdiag probe inside the lab world private-vpce (EC2 in a private subnet, STS VPC endpoint)"; \
	  $(PY) -m tests.lab run private-vpce -- $(BIN)/stsdiag probe; echo "(exit status $$?)"; \
	else echo; echo "(the probe demo runs in a network-namespace lab world and needs root: sudo make demo)"; fi

## test: lint + type check + the whole test suite (lab tests need root).
test: lint typecheck unit

lint: install
	$(BIN)/ruff check stsdiag tests
	$(BIN)/ruff format --check stsdiag tests

typecheck: install
	$(BIN)/mypy --strict stsdiag

unit: install
	$(PY) -m pytest -q -p no:cacheprovider

bench: install
	$(PY) tests/bench.py

## fixtures: regenerate the real debug logs (installs old botocore/awscli in throwaway venvs).
fixtures:
	python3 fixtures/generate.py

## snapshots: refresh fixtures/expected/*.json and the README examples from the current parser (review the diff!).
snapshots: install
	$(PY) tests/update_snapshots.py
	$(PY) -m tests.update_readme

docs: install
	$(BIN)/stsdiag explain --format markdown > docs/findings.md

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
