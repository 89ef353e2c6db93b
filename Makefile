# Two entry points for a fresh machine with Python 3.11 and make: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install run test lint check-content bench messages

$(BIN)/portage-bot: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/portage-bot

# Creates the environment, applies migrations and runs the bot (TELEGRAM_BOT_TOKEN from .env).
run: install
	$(BIN)/portage-bot db upgrade
	$(BIN)/portage-bot run

# Creates the environment and runs the whole suite: lint, content check, tests.
test: install
	$(BIN)/ruff check .
	$(BIN)/portage-bot content check
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

# The benchmark against the fake Bot API, on SQLite and PostgreSQL (bench/__main__.py says what
# it measures; about 55 minutes on 2 CPUs). Options: make bench BENCH_ARGS="--scale 0.1 --db sqlite"
bench: install
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m bench $(BENCH_ARGS)

# After changing what a parent reads: extract the messages and update every catalog (README,
# "Languages"); new entries are untranslated until someone translates them.
messages: install
	$(BIN)/pybabel extract -F content/babel.cfg -c "Translators:" --project "Portage companion bot" \
		--version 1 --no-wrap -o content/locale/messages.pot content/
	$(BIN)/pybabel update -i content/locale/messages.pot -d content/locale --no-wrap --ignore-obsolete
