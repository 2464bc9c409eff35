# buurtoverleg: `make run` for a local demo, `make test` for the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
export UV_PYTHON_DOWNLOADS ?= never
RUN := $(UV) run --frozen
LOCAL := env DEBUG=1 DATABASE_URL= REDIS_URL= EMAIL_HOST=

.PHONY: run test install check-system demo lint typecheck messages messages-extract bench totp clean

.tools/bin/uv:
	@echo "uv not found: installing it into .tools/"
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv

install: check-system $(if $(findstring .tools,$(UV)),.tools/bin/uv)
	$(UV) sync --frozen

check-system:
	@$(PYTHON) -c 'import sys; sys.exit(0)' 2>/dev/null || { echo "Python 3 is missing."; exit 1; }
	@command -v python3.13 >/dev/null 2>&1 || command -v python3.12 >/dev/null 2>&1 \
	  || $(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 12))' \
	  || { echo "Python 3.12 or newer is needed (we develop on 3.13)."; exit 1; }
	@$(PYTHON) -c 'import ctypes.util, sys; sys.exit(0 if ctypes.util.find_library("pango-1.0") and ctypes.util.find_library("pangoft2-1.0") else 1)' \
	  || { echo "WeasyPrint needs Pango. On Debian/Ubuntu: sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core"; exit 1; }
	@fc-list 2>/dev/null | grep -q . \
	  || { echo "No fonts found for PDFs. On Debian/Ubuntu: sudo apt-get install fonts-dejavu-core fontconfig"; exit 1; }

run: install
	$(LOCAL) $(RUN) python manage.py migrate --no-input
	$(LOCAL) $(RUN) python manage.py demo
	@echo "Mail is written to var/mail/. Open http://127.0.0.1:8000"
	$(LOCAL) $(RUN) python manage.py runserver 127.0.0.1:8000

demo: install
	$(LOCAL) $(RUN) python manage.py demo

totp:
	@$(LOCAL) $(RUN) python manage.py demo_totp

test: install
	SECRET_KEY=$${SECRET_KEY:-insecure-test-only-key} $(RUN) pytest

lint:
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	PYTHONPATH=. $(RUN) lint-imports

typecheck:
	$(RUN) mypy .

MAKEMESSAGES := makemessages -l nl -l en --no-obsolete --no-location \
	-e html,txt,py,subject --ignore=.venv --ignore=.tools --ignore=var --ignore=tests --ignore=bench

EN_PO := locale/en/LC_MESSAGES/django.po

# Extract strings; English is the source language, so the English catalogue is the msgids.
messages-extract:
	$(LOCAL) $(RUN) python manage.py $(MAKEMESSAGES) >/dev/null

messages: messages-extract
	msgfilter --keep-header -i $(EN_PO) -o $(EN_PO) sed -e d
	msgattrib --clear-fuzzy --clear-previous -o $(EN_PO) $(EN_PO)
	msgen -o $(EN_PO) $(EN_PO)
	$(LOCAL) $(RUN) python manage.py compilemessages --ignore=.venv --ignore=.tools

bench: install
	@for b in $(filter-out bench/_%.py bench/bench_urls.py,$(wildcard bench/*.py)); do echo "== $$b"; $(RUN) python $$b || exit 1; done

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
