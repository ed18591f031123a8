# The two commands a newcomer needs: `make run` and `make test`. Everything else is a step
# they depend on, each rebuilt only when its inputs change.

UV_VERSION := 0.13.9
PYTHON ?= python3
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
VENDOR := portal/static/vendor

.PHONY: run test lint format install assets system-packages migrate seed clean audit-dependencies

run: install ## Serve the portal with demo data and the demo sign-in provider
	$(VENV)/bin/python -m devtools.run_demo

# Two workers, one per core, each with its own database servers, sign-in provider and browser;
# a test file stays on one worker. `make test PYTEST_ARGS="tests/unit -q"` runs a part, in one.
PYTEST_ARGS ?= -n 2 --dist loadfile

test: install system-packages ## Install everything the tests use, then run every test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/bandit --quiet -c pyproject.toml -r portal forms workflows devtools
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)
	$(MAKE) --no-print-directory audit-dependencies

# Every locked package (the app's and the tools') against PyPI's vulnerability data: fails on a
# known vulnerability; where that data cannot be reached from this machine, says so loudly and
# names what was not audited (devtools/audit_dependencies.py). `make test PIP_AUDIT=skip` skips it.
audit-dependencies: install
ifeq ($(PIP_AUDIT),skip)
	@echo "pip-audit SKIPPED (PIP_AUDIT=skip): the locked dependencies were NOT audited." >&2
else
	$(UV) export --frozen --all-groups --no-emit-project --format requirements.txt --quiet \
		-o $(TOOLS)/requirements-locked.txt
	$(VENV)/bin/python -m devtools.audit_dependencies $(TOOLS)/requirements-locked.txt \
		$(VENV)/bin/pip-audit
endif

# The scale benchmark (benchmarks/scale/): a generated authority at 700 and 10,000 children on
# PostgreSQL, a locust load run against gunicorn beside a bare Flask baseline, and EXPLAIN of
# the list queries. Not part of `make test`. `make bench BENCH_ARGS="--sizes 700 --committed"`.
BENCH_ARGS ?= --sizes 700,10000
.PHONY: bench
bench: install system-packages
	$(VENV)/bin/python -m benchmarks.scale.run $(BENCH_ARGS)

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format:
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

install: $(VENV)/.synced node_modules/.installed $(VENDOR)/.built

assets: $(VENDOR)/.built ## Build the front-end assets (CSS, JavaScript) from the pinned npm packages

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# Built front-end assets are not committed: they come from the pinned npm packages.
$(VENDOR)/.built: node_modules/.installed assets/openpep.scss
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/govuk
	npx sass --pkg-importer=node --no-source-map --style=compressed --quiet-deps \
		assets/openpep.scss $(VENDOR)/openpep.css
	cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js $(VENDOR)/govuk/
	cp -r node_modules/govuk-frontend/dist/govuk/assets $(VENDOR)/govuk/assets
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx.min.js
	touch $@

system-packages: ## Debian packages the tests drive: a browser, PostgreSQL, ...
	sh devtools/install_test_packages.sh

migrate: install
	$(VENV)/bin/flask --app portal migrate

seed: migrate
	$(VENV)/bin/flask --app portal seed-demo

clean:
	rm -rf $(VENV) $(TOOLS) node_modules $(VENDOR) .pytest_cache .ruff_cache
