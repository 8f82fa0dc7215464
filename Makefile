# The two commands a fresh machine needs (see README):
#   make demo   install into .venv and run the demo on the embedded SQLite default
#   make test   install into .venv (with test tools, Chromium and Prism) and run every test
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PRISM_VERSION := 5.14.2
AXE_VERSION   := 4.10.3

.PHONY: demo test install install-test catalogs native browser fonts prism axe bench mutation clean

$(VENV)/.base: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $@

# the message catalogs: <package>/locale/<lang>/LC_MESSAGES/<domain>.po compiled to .mo
# (a .mo missing or older than its .po is also compiled when it is loaded: schemes/i18n.py)
catalogs: $(VENV)/.base
	@for po in */locale/*/LC_MESSAGES/*.po; do \
	  $(BIN)/pybabel compile -i $$po -o $${po%.po}.mo -l $$(basename $$(dirname $$(dirname $$po))) -D $$(basename $$po .po) >/dev/null || exit 1; \
	done

$(VENV)/.test: pyproject.toml $(VENV)/.base
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

# the optional native line scan of the CSV reader (dividends/registry/_linescan.c, loaded by
# dividends/registry/linefacts.py); rebuilt when its source is newer. Without a C compiler it says
# so and the reader uses polars alone (same results)
native: $(VENV)/.base
	$(BIN)/python -m dividends.registry.build_native

install: $(VENV)/.base native catalogs
install-test: $(VENV)/.test native catalogs browser fonts prism axe

# Debian's Chromium for the end-to-end browser test (Playwright drives it; no browser download).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian chromium (end-to-end test browser)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }

# Noto CJK for the cash receipt list PDF (fpdf2 embeds it) and for Chinese in screenshots.
fonts:
	@test -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc || { \
	  echo "installing Debian fonts-noto-cjk (receipt list PDF, screenshots)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null; }

# Stoplight Prism for the Twilio contract test, pinned (the last release that runs on Node 20).
prism:
	@if command -v npm >/dev/null 2>&1; then \
	  test -x .cache/prism/node_modules/.bin/prism || \
	  npm install --silent --no-audit --no-fund --prefix .cache/prism @stoplight/prism-cli@$(PRISM_VERSION); \
	else echo "npm not found: the Twilio contract test will skip (it fails in CI)"; fi

# axe-core for the accessibility check of the browser page walk, pinned.
axe:
	@if command -v npm >/dev/null 2>&1; then \
	  test -f .cache/axe/node_modules/axe-core/axe.min.js || \
	  npm install --silent --no-audit --no-fund --prefix .cache/axe axe-core@$(AXE_VERSION); \
	else echo "npm not found: the accessibility check of the page walk fails"; fi

demo: install
	$(BIN)/dividends demo

# every test on the embedded SQLite default, then the database tests again on PostgreSQL
# (one backend per process: tortoise caches SQL per connection). Outside CI a missing PostgreSQL
# skips that second run with its reason; with CI=true it fails. Both passes run on TEST_WORKERS
# pytest-xdist processes, a module's tests on one worker (--dist loadscope: module fixtures are
# built once); each worker has its own SQLite files and PostgreSQL databases (tests/dbsupport.py).
# TEST_WORKERS=0: one process. -n is not in pytest's addopts: targeted runs and mutmut stay single.
TEST_WORKERS ?= 2
test: install-test
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope
	TEST_DATABASE=postgres $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope -m db

# Mutation testing (not part of CI or `make test`): mutmut over schemes/, dividends/ledger/,
# dividends/payouts.py and the access rules, one package at a time under nice, each with its own
# fast tests (pyproject.toml [tool.mutation.*]); prints the score per package. Resumes where it
# stopped. One package: make mutation PACKAGES=ledger; some of its mutants (re-tested even when
# already checked): make mutation PACKAGES=ledger MUTANTS='dividends.ledger.checkpoint.*'; only the
# survivors of the last run, after adding tests: make mutation PACKAGES=ledger SURVIVORS=1; a random
# sample of a package's mutants, scored over the sample: make mutation PACKAGES=schemes-money SAMPLE=60 SEED=1
PACKAGES ?=
MUTANTS ?=
SURVIVORS ?=
SAMPLE ?=
SEED ?= 0
MAX_CHILDREN ?= 1
$(VENV)/.mutation: pyproject.toml $(VENV)/.test
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test,mutation]'
	touch $@

mutation: $(VENV)/.mutation
	$(BIN)/python -m tests.mutation --max-children $(MAX_CHILDREN) $(PACKAGES) $(if $(MUTANTS),--mutants $(MUTANTS)) $(if $(SURVIVORS),--survivors) $(if $(SAMPLE),--sample $(SAMPLE) --seed $(SEED))

# every benchmark under bench/ (README "Benchmarks" lists them), each printing its figures beside
# their floor or target and the ratio; the long ones at a modest size. PostgreSQL ones need the
# server on 127.0.0.1:5432 (store, web and province create and drop scratch databases of their own).
bench: install
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/compute.py --process
	$(BIN)/python bench/compute.py
	$(BIN)/python bench/store.py
	$(BIN)/python bench/notify.py --notices 20000
	$(BIN)/python bench/web.py
	$(BIN)/python bench/login.py
	$(BIN)/python bench/hostile.py
	$(BIN)/python bench/province.py --households 200000 --villages 200 --jobs 2

clean:
	rm -rf $(VENV) .cache .pytest_cache .hypothesis
