# The two commands a newcomer needs: `make run` and `make test`. Everything else is for convenience.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_SCALE ?= 1

.PHONY: run test lint format bench install clean messages

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

## messages: compile the translation catalogues (locale/*.po -> .mo); needs gettext's msgfmt
messages: install
	@if command -v msgfmt >/dev/null 2>&1; then \
		$(PY) manage.py compilemessages --ignore=$(VENV) -v0; \
	else \
		echo "gettext (msgfmt) is not installed: pages are shown in English only. apt-get install gettext"; \
	fi

## run: install, migrate, seed roles and demo data, print the demo login, serve on http://127.0.0.1:8000
run: install messages
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_rbac
	$(PY) manage.py seed_demo --scale $(DEMO_SCALE)
	@if [ -n "$$CELERY_BROKER_URL" ]; then \
		echo "Starting a Celery worker and beat on $$CELERY_BROKER_URL"; \
		trap 'kill 0' EXIT; \
		$(VENV)/bin/celery -A config worker --loglevel=INFO --concurrency=2 & \
		$(VENV)/bin/celery -A config beat --loglevel=INFO & \
		$(PY) manage.py runserver $(HOST):$(PORT); \
	else \
		echo "No CELERY_BROKER_URL: background tasks run in-process."; \
		$(PY) manage.py runserver $(HOST):$(PORT); \
	fi

## test: install what the tests need, lint, check migrations, run the whole suite
test: install lint messages
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## bench: benchmarks against PostgreSQL (DATABASE_URL's server); prints ratios against in-run baselines
bench: install
	$(PY) bench/changelists.py
	$(PY) bench/permissions.py
	$(PY) bench/audit.py
	$(PY) bench/name_search.py
	$(PY) bench/file_attachments.py
	$(PY) bench/support_queue.py
	$(PY) bench/billing_finance.py
	$(PY) bench/billing_refunds.py
	$(PY) bench/notifications_delivery.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache .mypy_cache artifacts
