# Oana: the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# The lock (uv.lock) exported with hashes: runtime packages, and runtime + test packages.
BASE_REQUIREMENTS := requirements/base.txt
TEST_REQUIREMENTS := requirements/test.txt
UV := $(VENV)/bin/uv
UV_REQUIREMENT := uv>=0.13,<0.14
LOCK_ARGS ?=
# `make test` measures line and branch coverage of the apps (pyproject's [tool.coverage.*]) and
# prints it at the end. A full run fails under COV_FAIL_UNDER percent; a run that selects tests
# (a path or node id in PYTEST_ARGS, or -k, -m, --lf, --sw, --deselect) reports without the gate.
# Options alone (`-p no:cacheprovider`, as .ci/run passes, `-x`, `-q`) still make a full run.
COV_FAIL_UNDER ?= 100
PYTEST_SELECTION = $(strip $(filter-out -%,$(subst -p ,-p,$(PYTEST_ARGS))) \
	$(filter -k% -m% --lf --last-failed --sw --stepwise --deselect%,$(PYTEST_ARGS)))
COV_ARGS = --cov --cov-report=term $(if $(PYTEST_SELECTION),,--cov-fail-under=$(COV_FAIL_UNDER))

# The first interpreter that is Python 3.12 or newer, among the usual names.
PYTHON_CANDIDATES := python3 python3.13 python3.12 /usr/bin/python3
FIND_PYTHON = for c in $(PYTHON_CANDIDATES); do \
	  if command -v $$c >/dev/null 2>&1 && $$c -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
	    command -v $$c; exit 0; fi; done; exit 1
NO_PYTHON = echo "Oana needs Python 3.12 or newer; none of: $(PYTHON_CANDIDATES) is. Install Python 3.12+ and try again." >&2; exit 1

# Where gunicorn (make serve) writes its master's process id, which `make reload` signals.
PID_FILE ?= gunicorn.pid

.PHONY: help run serve release reload worker scheduler bench bench-staff test test-postgres lint audit seed migrate clean install install-test which-python lock

help:
	@echo "make run     - create .venv, install, migrate, load seed content, serve http://$(HOST):$(PORT)"
	@echo "make test    - install test dependencies and run the whole suite"
	@echo "make serve   - production, first start: make release, then gunicorn (settings from the environment, never .env)"
	@echo "make release - production, each update: deploy checks, collectstatic, migrate (while the old code serves)"
	@echo "make reload  - production, each update: SIGHUP to gunicorn, new code, no request dropped"
	@echo "make worker  - production: the task worker (emails, refunds, retries), beside make serve"
	@echo "make scheduler - production: enqueues the periodic jobs for the worker, beside make serve"
	@echo "make lint    - ruff check, ruff format --check, missing-migration check"
	@echo "make audit   - known vulnerabilities in the locked packages (pip-audit; .pip-audit-accept.toml)"
	@echo "make bench   - public pages under gunicorn (as make serve) vs two trivial views, with wrk"
	@echo "make bench-staff - staff and patient pages at 100,000 orders (seed_scale), in-process and under gunicorn"
	@echo "make lock    - re-resolve pyproject's ranges into uv.lock and requirements/*.txt"

$(PY):
	@py="$$($(FIND_PYTHON))" || { $(NO_PYTHON); }; \
	echo "Creating $(VENV) with $$py ($$($$py --version))"; \
	$$py -m venv $(VENV) || { echo "Could not create a virtual environment with $$py (on Debian: apt-get install python3-venv)." >&2; exit 1; }
	$(PY) -m pip install --quiet --upgrade pip

# Installs come from the hashed lock export (requirements/*.txt, written by `make lock`), with
# pip alone: every package is pinned to one version and checked against its hashes. The project
# itself is not a package (pyproject's `packages = []`), so nothing else is installed.
$(VENV)/.installed: $(BASE_REQUIREMENTS) | $(PY)
	$(PY) -m pip install --quiet --require-hashes -r $(BASE_REQUIREMENTS)
	@touch $@

$(VENV)/.installed-test: $(TEST_REQUIREMENTS) $(VENV)/.installed
	$(PY) -m pip install --quiet --require-hashes -r $(TEST_REQUIREMENTS)
	@touch $@

# Known vulnerabilities in the hashed lock export, with pip-audit (oana/audit.py): fails on one
# not accepted in .pip-audit-accept.toml, and when the vulnerability service does not answer.
# OANA_AUDIT_OFFLINE=1 skips it on purpose (docs/security.md, "Dependency audit").
audit: $(VENV)/.installed-test
	$(PY) -m oana.audit $(TEST_REQUIREMENTS)

# Maintainers only: uv resolves pyproject's ranges into uv.lock (for Python 3.12 and newer, every
# platform) and exports it with hashes. `make lock LOCK_ARGS=--upgrade` moves every pin to the
# newest release the ranges allow; `LOCK_ARGS="--upgrade-package django"` moves one.
$(UV): | $(PY)
	$(PY) -m pip install --quiet "$(UV_REQUIREMENT)"

lock: $(UV)
	$(UV) lock $(LOCK_ARGS)
	$(UV) export --quiet --frozen --hashes --no-emit-project --no-dev --format requirements.txt -o $(BASE_REQUIREMENTS)
	$(UV) export --quiet --frozen --hashes --no-emit-project --no-dev --extra test --format requirements.txt -o $(TEST_REQUIREMENTS)
	$(UV) export --quiet --frozen --hashes --no-emit-project --no-dev --extra s3 --format requirements.txt -o requirements/s3.txt

# The interpreter .venv would be created with (or the message saying none is good enough).
which-python:
	@py="$$($(FIND_PYTHON))" || { $(NO_PYTHON); }; echo "$$py"

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# Local settings for `manage.py` in this checkout (DEBUG on, SQLite, console email, test-mode
# checkout). Never overwritten; production sets real environment variables instead.
.env:
	cp .env.example $@
	@echo "Created .env from .env.example: local development settings (edit it freely, it is git-ignored)."

migrate: install .env
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed

# Local development: DEBUG on, SQLite, console email, test-mode checkout (unless .env says otherwise).
run: export DEBUG ?= true
run: seed
	$(PY) manage.py runserver $(HOST):$(PORT)

# Production: settings from the environment only (OANA_PRODUCTION=1: .env is not read and
# DEBUG on is refused), the deployment checks clean before anything else, then hashed,
# compressed static files served by whitenoise behind gunicorn (which checks again).
# - release: the checks, collectstatic and migrate; run it for every update while the old code
#   still serves (migrations are written to work with the code before them).
# - serve: the first start (release, then gunicorn in the foreground, its pid in PID_FILE).
# - reload: an update of the code: SIGHUP to the running gunicorn, whose master starts new
#   workers and lets the old ones finish their requests; nothing is dropped. A changed
#   environment (a new key) needs a restart instead: SIGHUP keeps the master's environment
#   (docs/operations.md, Updating without dropping a request).
release: export OANA_PRODUCTION := 1
release: install
	$(PY) manage.py check --deploy --fail-level WARNING
	$(PY) manage.py collectstatic --noinput
	$(PY) manage.py migrate --noinput

serve: export OANA_PRODUCTION := 1
serve: export GUNICORN_PID_FILE := $(PID_FILE)
serve: release
	$(VENV)/bin/gunicorn -c gunicorn.conf.py oana.wsgi

reload:
	@test -s $(PID_FILE) || { echo "No gunicorn to reload: $(PID_FILE) is missing (is make serve running here? set PID_FILE to its file)." >&2; exit 1; }
	kill -HUP $$(cat $(PID_FILE))

# Production's background work, beside `make serve`, with the same environment handling and
# deployment checks (neither migrates: `make serve` does). Two targets, one long-running process
# each, so that a supervisor starts, stops and restarts each on its own, with no shell script
# between them passing signals on. Stop either with SIGTERM to its process group (as systemd
# does; make itself does not pass SIGTERM on): the worker finishes the task at hand.
# - worker: django-tasks-db's worker kept up by ours (run_worker, oana/worker.py: it survives
#   database errors, writes a heartbeat, takes back what a killed worker left); a failed task
#   is retried (oana/retries.py). As many as you like, on any machine that reaches the database.
# - scheduler: enqueues the periodic jobs (settings.PERIODIC_TASKS) when they are due. Run one
#   (more are safe: each run is enqueued once); without it nothing periodic happens.
worker: export OANA_PRODUCTION := 1
worker: install
	$(PY) manage.py check --deploy --fail-level WARNING
	$(PY) manage.py run_worker

scheduler: export OANA_PRODUCTION := 1
scheduler: install
	$(PY) manage.py check --deploy --fail-level WARNING
	$(PY) manage.py run_scheduler

# The public pages under gunicorn, started by `make serve` itself on PostgreSQL and Redis,
# against a trivial view on the same stack and a minimal Django project, measured with wrk
# (bench/run.py; docs/performance.md). Installs wrk (Debian's package) if it is missing.
bench: export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/bench
bench: export CACHE_URL ?= redis://127.0.0.1:6379/7
bench: install
	@command -v wrk >/dev/null || apt-get install -y wrk || { echo "make bench needs wrk: apt-get install wrk" >&2; exit 1; }
	$(PY) bench/run.py

# The pages a clinic lives in, at 100,000 orders (bench/staff.py; docs/performance.md).
bench-staff: export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/bench_staff
bench-staff: export CACHE_URL ?= redis://127.0.0.1:6379/8
bench-staff: install
	@command -v wrk >/dev/null || apt-get install -y wrk || { echo "make bench-staff needs wrk: apt-get install wrk" >&2; exit 1; }
	$(PY) bench/staff.py

test: install-test
	$(PY) -m pytest $(COV_ARGS) $(PYTEST_ARGS)

test-postgres: export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
test-postgres: test

lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DEBUG=true $(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
