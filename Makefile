# Two commands: `make demo` and `make test` (ruff, then pytest). Both build .venv from the lock file first.
# For developers: `make mutate` (mutation testing of transforms/, docs/mutation.md).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PREFECT_HOME := $(CURDIR)/.prefect
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_LOGGING_LEVEL ?= WARNING
export DO_NOT_TRACK := 1
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS ?= 120

.PHONY: demo test venv lock bench clean mutate

venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.lock
	$(BIN)/pip install --disable-pip-version-check -q --no-deps --no-build-isolation -e .
	$(BIN)/prefect server database upgrade -y >/dev/null
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/cutoff demo

# The suite runs on TEST_WORKERS pytest-xdist processes, a test file per worker (its fixtures and
# servers stay together); many tests wait on servers and schedules, so 3 workers keep 2 cores busy.
TEST_WORKERS ?= 3

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

# `make bench`: the whole `cutoff run` at 1M order lines and the naive pandas script on the same data
# (benchmarks/README.md). BENCH_ORDERS=100000,1000000,3000000 for the scaling table. pandas comes from
# requirements-bench.lock, installed on demand: the product never needs it.
BENCH_STAMP := $(VENV)/.installed-bench
BENCH_ORDERS ?= 1000000

$(BENCH_STAMP): $(STAMP) requirements-bench.lock
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-bench.lock
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python benchmarks/run.py --orders $(BENCH_ORDERS)

# Mutation testing of transforms/ against the unit tests ([tool.mutmut] in pyproject.toml).
# mutmut comes from requirements-dev.lock, installed on demand: `make test` never needs it.
# A clean run each time (mutants/ is rebuilt); "killed %" counts timeouts as caught and leaves out
# the mutants no test reaches. MUTATE_CHILDREN: parallel mutants (the machine is
# shared: 1 by default). MUTANTS: a subset, e.g. MUTANTS='transforms.summary*'.
MUTATE_CHILDREN ?= 1
MUTANTS ?=
DEV_STAMP := $(VENV)/.installed-dev

$(DEV_STAMP): $(STAMP) requirements-dev.lock
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-dev.lock
	touch $(DEV_STAMP)

mutate: $(DEV_STAMP)
	rm -rf mutants
	@start=$$(date +%s); \
	$(BIN)/mutmut run --max-children $(MUTATE_CHILDREN) $(MUTANTS); \
	echo; echo "mutmut took $$(( $$(date +%s) - start )) s"
	@$(BIN)/mutmut results --all true | awk -F': ' '/: / { \
	    split($$1, name, "."); m = name[2]; n[m]++; c[m, $$2]++; n["all"]++; c["all", $$2]++ } \
	  function row(m, caught, reached) { caught = c[m, "killed"] + c[m, "timeout"]; reached = n[m] - c[m, "no tests"]; \
	    return sprintf("%-14s %7d %7d %8d %7d %11d %7.1f%%", m, n[m], c[m, "killed"], c[m, "survived"], \
	                   c[m, "timeout"], c[m, "no tests"], reached ? 100 * caught / reached : 100) } \
	  END { printf "%-14s %7s %7s %8s %7s %11s %8s\n", "module", "mutants", "killed", "survived", "timeout", \
	          "not reached", "killed %"; \
	    for (m in n) if (m != "all") print row(m) | "sort"; close("sort"); print row("all") }'
	@echo "Survivors: $(BIN)/mutmut results; one of them: $(BIN)/mutmut show NAME"

# Re-resolve the lock after changing pins in pyproject.toml (needs the package registry).
lock:
	rm -rf /tmp/cutoff-lock && $(PYTHON) -m venv /tmp/cutoff-lock
	/tmp/cutoff-lock/bin/pip install -q -e .[test]
	( echo "# Locked dependency set (pip freeze of a verified install). Regenerate: make lock"; \
	  /tmp/cutoff-lock/bin/pip freeze --exclude-editable; echo "setuptools==65.5.0"; echo "wheel==0.48.0" ) > requirements.lock

clean:
	rm -rf $(VENV) .prefect
