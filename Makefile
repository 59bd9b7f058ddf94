# Observa — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help install system-deps browser-deps run test lint format worker beat migrate demo bench-import bench-surge bench-press bench-statements bench-dashboard mutate clean messages messages-update messages-check drills lock lock-check

help:
	@echo "make run     install, migrate, load the demo mission and serve http://$(HOST):$(PORT)"
	@echo "make test    run the whole test suite (DATABASE_URL / REDIS_URL as set)"
	@echo "make lint    ruff check, ruff format --check, makemigrations --check"
	@echo "make messages-update  refresh locale/*.po from the code's marked strings (then translate)"
	@echo "make messages         compile locale/*.po into the .mo files Django reads"
	@echo "make worker  start a Celery worker (needs REDIS_URL)"
	@echo "make drills  kill workers, connections and Redis mid-job; check statements recover"
	@echo "make mutate  mutation testing of the statement figures (slow)"

# What the system must provide: Pango and fonts for Latin, Cyrillic and Chinese statements
# (PDF), GNU gettext for the translation catalogues, Chromium for the browser tests, Node
# (npm: axe-core and the W3C checker) with Java (the checker runs on it) for the page checks,
# qpdf and poppler-utils to check the PDFs, and redis-server for the fault drills (which start
# their own). Installs with apt-get (as root) only what is missing.
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fonts-noto-cjk gettext chromium qpdf poppler-utils redis-server
# Tools that may come from elsewhere than Debian's packages (a machine's own Node.js, a JDK):
# command:package, installed from Debian only when the command is missing.
SYSTEM_TOOLS := node:nodejs npm:npm java:default-jre-headless
system-deps:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done; \
		for t in $(SYSTEM_TOOLS); do command -v $${t%%:*} >/dev/null 2>&1 || echo $${t#*:}; done); \
	if [ -n "$$missing" ] && [ "$$(id -u)" = 0 ]; then \
		echo "Installing $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	elif [ -n "$$missing" ]; then \
		echo "Observa needs: $$missing (sudo apt-get install $$missing)"; \
	fi

# --- reproducible installs (security) ------------------------------------------------------
# requirements.lock pins every package, with hashes, for Python 3.11 on any platform; it is
# made from pyproject.toml by `make lock` (uv), and installed as it is: nothing resolves the
# newest versions at install time. After adding a dependency to pyproject.toml: `make lock`.
LOCK := requirements.lock
LOCK_COMPILE = $(VENV)/bin/uv pip compile pyproject.toml --extra dev --generate-hashes \
	--universal --python-version 3.11 --no-header --quiet

$(VENV)/.installed: pyproject.toml $(LOCK)
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found); set PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@


# Translation catalogues: locale/<language>/LC_MESSAGES/django.po are committed and written by
# translators; the .mo files Django reads are built from them here (GNU gettext's msgfmt).
PO_FILES := $(wildcard locale/*/LC_MESSAGES/*.po)
MO_FILES := $(PO_FILES:.po=.mo)
# The languages besides English, as gettext names their folders; and what is not product code
# (tests/test_translations.py leaves out the same folders).
MESSAGE_LOCALES := -l ru -l zh_Hans
MAKEMESSAGES_IGNORE := --ignore=.venv --ignore=tests --ignore=bench --ignore=docs \
	--ignore=static --ignore=staticfiles --ignore=media --ignore=node_modules

messages: $(MO_FILES)

locale/%.mo: locale/%.po
	@command -v msgfmt >/dev/null 2>&1 || { echo "msgfmt is missing: run make system-deps (gettext)"; exit 1; }
	msgfmt --check --output-file=$@ $<

# After changing marked strings: refresh every catalogue, translate the new entries, commit.
messages-update: $(VENV)/.installed
	DEBUG=true $(PY) manage.py makemessages $(MESSAGE_LOCALES) --no-obsolete $(MAKEMESSAGES_IGNORE)
	DEBUG=true $(PY) manage.py makemessages -d djangojs $(MESSAGE_LOCALES) --no-obsolete \
		--ignore=.venv --ignore=node_modules --ignore=staticfiles --ignore=static/vendor \
		--ignore=tests --ignore=bench
	$(MAKE) messages

# Fails on an untranslated or fuzzy entry, a stale .mo, or a marked string the catalogues lack.
messages-check: install
	$(PY) -m pytest -q -p no:cacheprovider tests/test_translations.py

# Regenerate the lock after changing dependencies in pyproject.toml; versions already
# locked stay unless pyproject.toml rules them out (`make lock UPGRADE=1` takes the newest).
lock: install
	$(LOCK_COMPILE) $(if $(UPGRADE),--upgrade) -o $(LOCK)
	@echo "$(LOCK) written; commit it with pyproject.toml."

# CI: the lock must be what `make lock` would write from pyproject.toml now.
lock-check: install
	@cp $(LOCK) $(VENV)/lock-check.txt
	@$(LOCK_COMPILE) -o $(VENV)/lock-check.txt
	@diff -u $(LOCK) $(VENV)/lock-check.txt || { echo "$(LOCK) does not match pyproject.toml: run 'make lock' and commit it."; exit 1; }
	@echo "$(LOCK) matches pyproject.toml."
# --- end reproducible installs --------------------------------------------------------------

install: $(VENV)/.installed messages

migrate: install
	DEBUG=$${DEBUG:-true} $(PY) manage.py migrate --noinput

demo: migrate
	DEBUG=$${DEBUG:-true} $(PY) manage.py load_demo --accounts

run: system-deps demo
	DEBUG=$${DEBUG:-true} $(PY) manage.py runserver $(HOST):$(PORT)

# The browser tests' tools from the npm registry (package-lock.json), never served to users.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	touch $@

browser-deps: node_modules/.installed

test: install system-deps browser-deps
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

# Crash the statement jobs (child, worker, database connection, Redis) and time the recovery.
# Starts its own Redis and worker; needs PostgreSQL on 127.0.0.1:5432. Bounded to 10 minutes.
drills: install system-deps
	$(PY) bench/fault_drills.py

# Needs DATABASE_URL on PostgreSQL; builds 10,101 stations and 100,000 visits once.
bench-dashboard: install
	$(PY) bench/dashboard.py

# Would the tests notice a wrong figure? Mutates the findings and the composer's figure code
# one change at a time and runs the figure tests (DATABASE_URL as set); fails under 90 %.
mutate: install
	$(PY) scripts/mutate.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles node_modules
