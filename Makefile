# The README's two commands: `make demo` and `make test`. Everything lives in .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test install install-test chromium bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# The browser tests and chart exports need a Chrome; Debian's chromium is the one that works offline.
chromium:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null; }

demo: install chromium
	$(BIN)/paintrail demo

# Lint and format check first (quick), then mypy in the background while pytest runs (mypy takes
# about 50 s of CPU on its own): its report goes to a temporary file outside the tree and is printed
# once pytest ends. The target fails when any step fails.
test: install-test chromium
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@report=$$(mktemp); \
	$(BIN)/mypy >"$$report" 2>&1 & mypy_pid=$$!; \
	$(BIN)/pytest -n auto --dist loadgroup; pytest_status=$$?; \
	wait $$mypy_pid; mypy_status=$$?; \
	echo "--- mypy"; cat "$$report"; rm -f "$$report"; \
	if [ $$mypy_status -ne 0 ]; then echo "mypy failed (exit $$mypy_status)" >&2; fi; \
	[ $$pytest_status -eq 0 ] && [ $$mypy_status -eq 0 ]

bench: install-test chromium
	$(BIN)/paintrail bench

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache paintrail-demo.db*
