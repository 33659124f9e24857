# Coverline: `make run` (dev server + real Celery worker, no service needed) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# The address `make run` serves: the links its worker e-mails (SITE_URL) must lead there too.
SITE_URL ?= http://127.0.0.1:$(PORT)
# E-mail is printed by the worker in `make run`, even if .env names a real server
# (`make run DEV_EMAIL_URL=smtp://127.0.0.1:1025` to try one).
DEV_EMAIL_URL ?= consolemail://
DEV_ENV := DEBUG=1 PYTHONUNBUFFERED=1 SITE_URL=$(SITE_URL) EMAIL_URL=$(DEV_EMAIL_URL)
VAR := $(or $(COVERLINE_VAR_DIR),var)

.PHONY: run test lint format messages install demo clean bench stack restore-drill

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is needed"' \
		|| { echo "Python 3.11 is needed (Debian 12: apt install python3 python3-venv)"; exit 1; }
	@$(PYTHON) -m venv --help >/dev/null 2>&1 \
		|| { echo "python3-venv is missing: sudo apt install python3-venv"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

# Translations are compiled at build time (Babel: no system gettext needed).
messages: install
	$(VENV)/bin/pybabel compile --domain django --directory locale --use-fuzzy --statistics

# The three processes run in the background of one shell, which waits for the first to end
# (or for Ctrl-C / TERM) and then stops the others by their own pids. Not `kill 0`: that
# signals the whole process group, make included, and the shell itself, whose trap then
# runs again and again until bash overflows its stack (make's "Segmentation fault").
# On Ctrl-C the terminal has already sent INT to the worker and beat, which shut down by
# themselves: a second signal while they exit makes beat print a traceback, so they get
# 10 s first. The web server ignores INT (a background job of a script), so it gets TERM.
# The worker has no -Q: it consumes every queue of CELERY_TASK_QUEUES (renditions, email,
# exports and the default one), which production gives workers of their own.
run: install messages
	mkdir -p $(VAR)/broker/queue $(VAR)/broker/control $(VAR)/media $(VAR)/originals
	$(DEV_ENV) $(PY) manage.py migrate --noinput
	@echo "Preparing the demo (its photos are processed here, once)..."
	@logins=$$($(DEV_ENV) $(PY) manage.py demo_setup --port $(PORT)) || exit 1; \
	rm -f $(VAR)/worker.ready; \
	stop() { trap - INT TERM; n=$$1; kill -TERM $$web 2>/dev/null; \
		while [ $$n -gt 0 ] && [ -n "$$(jobs -pr)" ]; do sleep 0.1; n=$$((n - 1)); done; \
		kill -TERM $$(jobs -pr) 2>/dev/null; wait; }; \
	trap 'stop 100; exit 0' INT; \
	trap 'stop 0; exit 0' TERM; \
	$(DEV_ENV) $(VENV)/bin/celery -A config beat --loglevel=INFO & \
	$(DEV_ENV) COVERLINE_WORKER_READY_FILE=$(VAR)/worker.ready \
		$(VENV)/bin/celery -A config worker --loglevel=INFO --concurrency=2 & \
	$(DEV_ENV) $(PY) manage.py runserver 127.0.0.1:$(PORT) & web=$$!; \
	for _ in $$(seq 120); do \
		[ -f $(VAR)/worker.ready ] && (exec 3<>/dev/tcp/127.0.0.1/$(PORT)) 2>/dev/null && break; \
		sleep 0.5; \
	done; \
	printf '%s\n' "$$logins" "Ctrl-C stops the web server, the worker and beat."; \
	wait -n; status=$$?; stop 0; exit $$status

test: install messages
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	SECRET_KEY=lint-only $(VENV)/bin/mypy .
	$(VENV)/bin/lint-imports

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install
	$(PY) bench/renditions.py

# The production topology on loopback, without Docker (README "The stack on loopback"):
# nginx, gunicorn, a worker per queue, beat, against PostgreSQL, Redis (db 12-13) and moto.
# Ctrl-C stops it. `make stack STACK_ARGS="--seed 20"` also makes riders with sessions.
stack: install messages
	$(PY) bench/stack.py up $(STACK_ARGS)

# Back up, drop the database and delete photos, restore, check (README "Backups"): needs
# PostgreSQL on 127.0.0.1:5432 (role coverline, CREATEDB); starts its own moto S3 server.
restore-drill: install messages
	$(PY) bench/restore_drill.py $(DRILL_ARGS)

clean:
	rm -rf var staticfiles
