# IndusTrack backend: `make run` serves the app on the local stack, `make test` runs the whole suite on it.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
RUN_DIR := .local/run
HOST_PORT ?= 7071
HOST_LOG := .local/logs/devhost.log
PORTAL_PORT ?= 4280
CHROMIUM ?= /usr/bin/chromium
PYTEST_ARGS ?=

.PHONY: install run test unit stop status token lint format static bench figures infra-check replay-poison clean portal chromium screenshots checkov

install: $(VENV)/.installed node_modules/.installed local.settings.json .local/dev-issuer/jwks.json chromium

# The owner portal's browser tests drive Debian's Chromium (Playwright's own browser download is not used).
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's chromium for the portal's browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "The portal's browser tests need Chromium at $(CHROMIUM): install it once (Debian: sudo apt-get install chromium)," \
	      "or point CHROMIUM and PORTAL_TEST_CHROMIUM at another build."; exit 1; \
	  fi; \
	fi

# checkov for the infra policy tests and `make infra-check`, in its own virtual environment (a no-op once installed).
checkov:
	@bash infra/check.sh install

# The owner portal (portal/): type-check, then build the static files into portal/dist.
portal: node_modules/.installed
	@npm run --silent portal:build >/dev/null && echo "  portal built in portal/dist"

$(VENV)/.installed: requirements.txt requirements-dev.txt requirements-worker.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --ignore-requires-python -r requirements-worker.txt
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

local.settings.json: local.settings.sample.json
	@$(PYTHON) -m scripts.local_settings

.local/dev-issuer/jwks.json: $(VENV)/.installed
	@$(PY) -m scripts.dev_issuer init

run: install
	@if (exec 3<>/dev/tcp/127.0.0.1/$(HOST_PORT)) 2>/dev/null; then \
	  echo "IndusTrack is already running on http://localhost:$(HOST_PORT)/api (stop it with: make stop)"; exit 1; fi
	@$(PY) -m scripts.stack up
	@$(PY) -m scripts.provision
	@$(MAKE) --no-print-directory portal
	@echo ""
	@echo "  API           http://localhost:$(HOST_PORT)/api   (health: /api/health, OpenAPI: /api/openapi.json)"
	@echo "  Portal        http://localhost:$(PORTAL_PORT)/   (development sign-in: any user id and e-mail; invitation links open its join page)"
	@echo "  Fire a timer  curl -X POST http://localhost:$(HOST_PORT)/admin/functions/<name>"
	@echo "  Get a token   make token SUB=<user-id> EMAIL=<address> [ADMIN=1]"
	@echo "  Stop          make stop"
	@echo "  Host log      $(HOST_LOG)   (emulators: .local/logs/<service>.log)"
	@echo "  Test clock    GET/PUT/DELETE http://localhost:$(HOST_PORT)/api/admin/test-clock (admin token; docs/test-clock.md)"
	@echo ""
	@mkdir -p $(RUN_DIR)
	@$(PY) -m scripts.portal_server --port $(PORTAL_PORT) --api http://localhost:$(HOST_PORT)/api & echo $$! > $(RUN_DIR)/portal.pid
	@PORTAL_BASE_URL=$${PORTAL_BASE_URL:-http://localhost:$(PORTAL_PORT)} \
	  $(PY) -m devhost --port $(HOST_PORT) --log-file $(HOST_LOG) & echo $$! > $(RUN_DIR)/devhost.pid; wait $$!

test: install portal checkov
	@mkdir -p $(RUN_DIR)
	@rec=$(RUN_DIR)/test-started-$$$$.json; \
	$(PY) -m scripts.stack up --record $$rec || { $(PY) -m scripts.stack down --only $$rec; exit 1; }; \
	$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	$(PY) -m scripts.stack down --only $$rec; rm -f $$rec; \
	npm run --silent portal:unit || rc=1; \
	$(MAKE) --no-print-directory static || rc=1; exit $$rc

# The emulator-free tests only (core rules with in-memory fakes, the HTTP seam, the local host's queue and routing
# logic) and the portal's unit tests (vitest: day ranges, formats, line diff, no import circle): seconds, no
# emulators, no local host. `make test` runs these too, once, with everything else.
unit: install
	$(PY) -m pytest tests/unit -p no:cacheprovider $(PYTEST_ARGS)
	npm run --silent portal:unit

stop:
	@if [ -f $(RUN_DIR)/devhost.pid ]; then kill $$(cat $(RUN_DIR)/devhost.pid) 2>/dev/null || true; rm -f $(RUN_DIR)/devhost.pid; echo "  devhost      stopped"; fi
	@if [ -f $(RUN_DIR)/portal.pid ]; then kill $$(cat $(RUN_DIR)/portal.pid) 2>/dev/null || true; rm -f $(RUN_DIR)/portal.pid; echo "  portal       stopped"; fi
	@$(PY) -m scripts.stack down

status:
	@$(PY) -m scripts.stack status

token: install
	@$(PY) -m scripts.dev_issuer mint --sub "$(or $(SUB),$(shell $(PY) -c 'import uuid;print(uuid.uuid4())'))" \
	  $(if $(EMAIL),--email "$(EMAIL)") $(if $(ADMIN),--admin)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: install
	$(VENV)/bin/ruff format .

.local/static-venv/.installed: tools/static/requirements.txt
	@test -x .local/static-venv/bin/python || $(PYTHON) -m venv .local/static-venv
	.local/static-venv/bin/pip install --quiet --disable-pip-version-check -r tools/static/requirements.txt
	@touch $@

static: install .local/static-venv/.installed
	@$(VENV)/bin/ruff check --quiet . && echo "ruff: no findings"
	@$(VENV)/bin/ruff format --check --quiet . && echo "ruff format: every file formatted" || { echo "ruff format: run make format"; exit 1; }
	@$(VENV)/bin/mypy --no-error-summary && echo "mypy: no findings"
	@$(VENV)/bin/lint-imports --no-cache > .local/lint-imports.log 2>&1 && sed -n 's/^Contracts: /import-linter: layer contracts /p' .local/lint-imports.log || { cat .local/lint-imports.log; exit 1; }
	@$(PY) -m scripts.static_checks
	@npm run --silent portal:check && echo "tsc: portal and its tests type-check"
	@node_modules/.bin/biome ci --colors=off --reporter=summary portal

replay-poison: install
	$(PY) -m scripts.replay_poison $(QUEUE)

# BENCH_STEP_SECONDS: how long each saturation step holds its load (30 s for the README figures; 5 s for a quick look).
BENCH_STEP_SECONDS ?= 30
bench: install portal
	@rm -f .local/bench/ingest.json .local/bench/capacity.json .local/bench/hot_partition.json; \
	rc=0; $(PY) -m bench.ingest || rc=1; \
	$(PY) -m bench.saturation --step-seconds $(BENCH_STEP_SECONDS) || rc=1; \
	$(PY) -m bench.hot_partition || rc=1; $(PY) -m bench.access_log || rc=1; \
	$(PY) -m bench.load || rc=1; $(PY) -m bench.devices || rc=1; $(PY) -m bench.portal || rc=1; \
	$(PY) -m bench.summary || rc=1; exit $$rc

# README screenshots of the portal (docs/portal-*.png), taken from the browser tests' stack.
screenshots: install portal
	@mkdir -p $(RUN_DIR)
	@rec=$(RUN_DIR)/shots-started-$$$$.json; \
	$(PY) -m scripts.stack up --record $$rec || { $(PY) -m scripts.stack down --only $$rec; exit 1; }; \
	PORTAL_SCREENSHOTS=1 $(PY) -m pytest tests/integration/test_portal_browser.py tests/integration/test_portal_sites_browser.py tests/integration/test_portal_devices_browser.py -q -k "screenshots or sites or timesheet or devices"; rc=$$?; \
	$(PY) -m scripts.stack down --only $$rec; rm -f $$rec; exit $$rc

figures: install
	$(PY) -m scripts.figures --readme

infra-check: install
	bash infra/check.sh

clean: stop
	rm -rf .local
