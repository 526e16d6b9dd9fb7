# Two commands from a fresh clone: `make run` and `make test`. Needs only Python 3.11 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000
# The settings default to production (DEBUG off, SECRET_KEY required). Every target here runs on a
# laptop or in CI with the embedded default (SQLite, /dev/outbox/), so ask for it explicitly.
export DEBUG ?= 1

.PHONY: install run test test-fast e2e lint migrate messages seed totp bench bench-load clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

messages: install
	$(BIN)/python manage.py compile_translations

migrate: install
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

run: messages seed
	@echo "Serving on http://$(HOST):$(PORT)/ - demo logins in README.md, SMS and e-mails at /dev/outbox/"
	SITE_URL="$${SITE_URL:-http://$(HOST):$(PORT)}" $(BIN)/python manage.py runserver $(HOST):$(PORT)

totp: install
	@$(BIN)/python manage.py demo_totp

test: messages
	@$(BIN)/python tests/e2e/chromium_check.py
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

bench: install
	$(BIN)/python bench/engine.py

# The whole application under load (PostgreSQL, Redis, gunicorn, a Celery worker): issue 14's
# figures in one run. One part alone: make bench-load BENCH_ARGS=--pages (or --sms,
# --certificates, --weight, --memory). Production settings: DEBUG off for the served app.
bench-load: messages
	DEBUG=0 $(BIN)/python bench/run_all.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 var test-artifacts
