# Observa — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help install system-deps run test lint format worker beat migrate demo bench-import bench-surge bench-statements mutate clean

help:
	@echo "make run     install, migrate, load the demo mission and serve http://$(HOST):$(PORT)"
	@echo "make test    run the whole test suite (DATABASE_URL / REDIS_URL as set)"
	@echo "make lint    ruff check, ruff format --check, makemigrations --check"
	@echo "make worker  start a Celery worker (needs REDIS_URL)"
	@echo "make mutate  mutation testing of the statement figures (slow)"

# What the system must provide: Pango and fonts for Latin, Cyrillic and Chinese statements
# (PDF), GNU gettext for the translation catalogues, and Chromium for the browser tests.
# Installs with apt-get (as root) only what is missing.
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fonts-noto-cjk gettext chromium
system-deps:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ] && [ "$$(id -u)" = 0 ]; then \
		echo "Installing $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	elif [ -n "$$missing" ]; then \
		echo "PDF statements need: $$missing (sudo apt-get install $$missing)"; \
	fi

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found); set PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

migrate: install
	DEBUG=$${DEBUG:-true} $(PY) manage.py migrate --noinput

demo: migrate
	DEBUG=$${DEBUG:-true} $(PY) manage.py load_demo --accounts

run: system-deps demo
	DEBUG=$${DEBUG:-true} $(PY) manage.py runserver $(HOST):$(PORT)

test: install system-deps
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DEBUG=true $(PY) manage.py makemigrations --check --dry-run

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

worker: install
	@test -n "$$REDIS_URL" || { echo "Set REDIS_URL (e.g. redis://127.0.0.1:6379/0) to run a worker."; exit 1; }
	DEBUG=$${DEBUG:-true} $(VENV)/bin/celery -A config worker --loglevel=INFO

beat: install
	@test -n "$$REDIS_URL" || { echo "Set REDIS_URL to run the scheduler."; exit 1; }
	DEBUG=$${DEBUG:-true} $(VENV)/bin/celery -A config beat --loglevel=INFO --schedule=$(VENV)/celerybeat-schedule

bench-import: install
	$(PY) bench/import_stations.py

# Needs PostgreSQL on 127.0.0.1:5432; makes its own database and serves it with gunicorn.
bench-surge: install
	$(PY) bench/visit_surge.py --clients 32 --seconds 20

bench-statements: install system-deps
	$(PY) bench/statements.py

# Would the tests notice a wrong figure? Mutates the findings and the composer's figure code
# one change at a time and runs the figure tests (DATABASE_URL as set); fails under 90 %.
mutate: install
	$(PY) scripts/mutate.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles
