# Coverline: `make run` (dev server + real Celery worker, no service needed) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
DEV_ENV := DEBUG=1 PYTHONUNBUFFERED=1
VAR := $(or $(COVERLINE_VAR_DIR),var)

.PHONY: run test lint format messages install demo clean bench

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

run: install messages
	mkdir -p $(VAR)/broker/queue $(VAR)/broker/control $(VAR)/media $(VAR)/originals
	$(DEV_ENV) $(PY) manage.py migrate --noinput
	$(DEV_ENV) $(PY) manage.py demo_setup --port $(PORT)
	@echo "Starting the web server on http://127.0.0.1:$(PORT)/, a Celery worker and beat (Ctrl-C stops them)"
	@trap 'kill 0' INT TERM EXIT; \
	$(DEV_ENV) $(VENV)/bin/celery -A config beat --loglevel=INFO & \
	$(DEV_ENV) $(VENV)/bin/celery -A config worker --loglevel=INFO --concurrency=2 -Q celery,print & \
	$(DEV_ENV) $(PY) manage.py runserver 127.0.0.1:$(PORT)

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

clean:
	rm -rf var staticfiles
