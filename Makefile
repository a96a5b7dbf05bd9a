# The two commands a newcomer needs (see README.md):
#   make run    install, prepare the database (units from the template and the shipped drafts), publish,
#               serve on http://127.0.0.1:5000
#   make test-fast  the fast tier (no browser, no servers of the tests' own), for the edit-and-run loop
#   make test   install what the tests need (Debian's chromium, gettext, Noto fonts, PostgreSQL, nginx when root),
#               run them all
PYTHON ?= python3
# pytest-xdist: one worker per core. Override, e.g. `make test PYTEST_ARGS="-n 0 -x"`.
PYTEST_ARGS ?= -n auto --dist worksteal -rs
VENV   ?= .venv
BIN    := $(VENV)/bin
export FLASK_APP := app
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# Python may keep what it compiled (__pycache__, ignored by git and by the pages' build id): with
# PYTHONDONTWRITEBYTECODE set (some machines set it), every test process, and every server and
# command a test starts, compiled the whole portal and pytest rewrote every test module again:
# about 6 s per process.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test test-fast install install-dev system-test-deps check-catalogs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask translate update
	$(BIN)/flask translate import
	$(BIN)/flask translate publish
	$(BIN)/flask run --host 127.0.0.1 --port 5000

# Browser tests use Debian's Chromium (never `playwright install`, which downloads a browser),
# with the Noto fonts phones have for Arabic and Chinese (their line heights differ from the
# fallback fonts'); catalog tests use GNU gettext's msgfmt as an independent checker; the fault
# tests freeze and stop a PostgreSQL server of their own (tests/test_faults_real.py); the static export
# is served by Debian's nginx with deploy/nginx-static.conf (tests/test_static_export.py).
system-test-deps:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v msgfmt >/dev/null 2>&1 || missing="$$missing gettext"; \
	[ -f /usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf ] || missing="$$missing fonts-noto-core"; \
	[ -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || missing="$$missing fonts-noto-cjk"; \
	ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing="$$missing postgresql"; \
	[ -x /usr/sbin/nginx ] || missing="$$missing nginx"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "Missing Debian packages:$$missing. Install them: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

test: install-dev system-test-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The fast tier, for the edit-and-run loop: domain and views on SQLite, no browser, no servers or
# processes of the tests' own, Hypothesis's quick "dev" profile. `make test` runs everything.
test-fast: install-dev
	HYPOTHESIS_PROFILE=dev $(BIN)/python -m pytest $(PYTEST_ARGS) -m "not browser and not servers"
