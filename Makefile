# Two entry points: `make serve` runs fitbot, `make test` runs the suite on SQLite and PostgreSQL.
VENV ?= .venv
PY := $(VENV)/bin/python

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

.PHONY: install serve test lint
install: $(VENV)/.installed

serve: install
	$(VENV)/bin/fitbot serve

lint: install
	$(VENV)/bin/ruff check .

test: install lint
	$(VENV)/bin/python -m pytest -q
	FITBOT_TEST_DATABASE_URL=$${FITBOT_TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} \
		$(VENV)/bin/python -m pytest -q
