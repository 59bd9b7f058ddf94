# Observa — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help install system-deps run test lint format worker beat migrate demo bench-import bench-surge bench-press bench-statements clean messages messages-update messages-check

help:
	@echo "make run     install, migrate, load the demo mission and serve http://$(HOST):$(PORT)"
	@echo "make test    run the whole test suite (DATABASE_URL / REDIS_URL as set)"
	@echo "make lint    ruff check, ruff format --check, makemigrations --check"
	@echo "make messages-update  refresh locale/*.po from the code's marked strings (then translate)"
	@echo "make messages         compile locale/*.po into the .mo files Django reads"
	@echo "make worker  start a Celery worker (needs REDIS_URL)"

# What the system must provide: Pango and fonts for Latin, Cyrillic and Chinese statements
# (PDF), GNU gettext for the translation catalogues, and Chromium for the browser tests.
# Installs with apt-get (as root) only what is missing.
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fonts-noto-cjk gettext chromium qpdf poppler-utils
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

install: $(VENV)/.installed messages

# Translation catalogues: locale/<language>/LC_MESSAGES/django.po are committed and written by
# translators; the .mo files Django reads are built from them here (GNU gettext's msgfmt).
PO_FILES := $(wildcard locale/*/LC_MESSAGES/django.po)
MO_FILES := $(PO_FILES:.po=.mo)
# The languages besides English, as gettext names their folders; and what is not product code
# (tests/test_translations.py leaves out the same folders).
MESSAGE_LOCALES := -l ru -l zh_Hans
MAKEMESSAGES_IGNORE := --ignore=.venv --ignore=tests --ignore=bench --ignore=docs \
	--ignore=static --ignore=staticfiles --ignore=media --ignore=node_modules

messages: $(MO_FILES)

locale/%/LC_MESSAGES/django.mo: locale/%/LC_MESSAGES/django.po
	@command -v msgfmt >/dev/null 2>&1 || { echo "msgfmt is missing: run make system-deps (gettext)"; exit 1; }
	msgfmt --check --output-file=$@ $<

# After changing marked strings: refresh every catalogue, translate the new entries, commit.
messages-update: $(VENV)/.installed
	DEBUG=true $(PY) manage.py makemessages $(MESSAGE_LOCALES) --no-obsolete $(MAKEMESSAGES_IGNORE)
	$(MAKE) messages

# Fails on an untranslated or fuzzy entry, a stale .mo, or a marked string the catalogues lack.
messages-check: install
	$(PY) -m pytest -q -p no:cacheprovider tests/test_translations.py

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
	$(MAKE) messages-check

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

# Needs PostgreSQL and Redis on loopback; makes its own database and serves it with gunicorn.
bench-press: install
	$(PY) bench/press_surge.py --clients 64 --seconds 10

bench-statements: install system-deps
	$(PY) bench/statements.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles
