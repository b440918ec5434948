# `make run` and `make test` are all a user needs; see README.md.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

export DJANGO_SETTINGS_MODULE := config.settings

.PHONY: run test install messages lint bench clean backup restore

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

# The embedded default: SQLite under var/, Celery tasks inline, email to var/mail/, demo data.
# Links in emails, quick order links and the printed sign-in point at the address served.
run: export DEBUG ?= 1
run: export SITE_URL ?= http://$(HOST):$(PORT)
run: $(STAMP)
	mkdir -p var/mail
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --customers 300 --if-empty
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# In parallel, one pytest-xdist worker per core (TEST_WORKERS=0 runs in one process).
TEST_WORKERS ?= auto
test: export SECRET_KEY ?= test-only-not-a-secret
test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# A backup folder under var/backups/ (the database and the export files and images), and back.
# Development settings unless the environment is a production one (SECRET_KEY set).
backup restore: export DEBUG ?= $(if $(SECRET_KEY),0,1)
backup: $(STAMP)
	$(BIN)/python manage.py backup

restore: $(STAMP)
	@test -n "$(BACKUP)" || { echo "Say which backup: make restore BACKUP=var/backups/crm-…"; exit 2; }
	$(BIN)/python manage.py restore "$(BACKUP)"

# Refresh the translation catalogues after changing UI strings, then translate the new entries.
messages: $(STAMP)
	$(BIN)/python manage.py makemessages --locale ru --locale en --no-location --no-obsolete --ignore '.venv/*' --ignore 'var/*' --ignore 'tests/*' --ignore 'bench/*'
	$(BIN)/python manage.py compilemessages --ignore '.venv/*'

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python bench/customer_list.py
	$(BIN)/python bench/order_list.py

clean:
	rm -rf var/db.sqlite3 var/mail var/staticfiles
