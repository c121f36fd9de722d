# Two commands: `make demo` and `make test`. Both build .venv from the lock file first.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PREFECT_HOME := $(CURDIR)/.prefect
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_LOGGING_LEVEL ?= WARNING
export DO_NOT_TRACK := 1
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS ?= 120

.PHONY: demo test venv lock bench clean

venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.lock
	$(BIN)/pip install --disable-pip-version-check -q --no-deps --no-build-isolation -e .
	$(BIN)/prefect server database upgrade -y >/dev/null
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/cutoff demo

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# Re-resolve the lock after changing pins in pyproject.toml (needs the package registry).
lock:
	rm -rf /tmp/cutoff-lock && $(PYTHON) -m venv /tmp/cutoff-lock
	/tmp/cutoff-lock/bin/pip install -q -e .[test]
	( echo "# Locked dependency set (pip freeze of a verified install). Regenerate: make lock"; \
	  /tmp/cutoff-lock/bin/pip freeze --exclude-editable; echo "setuptools==65.5.0"; echo "wheel==0.48.0" ) > requirements.lock

clean:
	rm -rf $(VENV) .prefect
