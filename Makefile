# make run: install, create the SQLite database with demo users and data, serve on :5000.
# make test: install and run every test.
VENV := .venv
PYTHON ?= python3
FLASK := $(VENV)/bin/flask --app server
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: install run test bench clean

$(STAMP): pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e ".[test]"
	touch $(STAMP)

# Browser packages (bpmn-js) from package.json and its lockfile, into node_modules/ (never committed).
$(NODE_STAMP): package.json $(wildcard package-lock.json)
	if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
	touch $(NODE_STAMP)

install: $(STAMP) $(NODE_STAMP)

run: install
	XUNCHA_CLOCK=fake $(FLASK) init
	XUNCHA_CLOCK=fake $(FLASK) demo
	XUNCHA_CLOCK=fake $(FLASK) serve --host 127.0.0.1 --port 5000

test: install
	$(VENV)/bin/pytest -q

bench: install
	$(VENV)/bin/python bench/engine_overhead.py

clean:
	rm -rf $(VENV) instance .pytest_cache node_modules test-artifacts
