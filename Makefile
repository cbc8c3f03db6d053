# Optical CRM - the project's commands. Prerequisites: PostgreSQL (local socket or
# PGHOST...), git and Python 3.10-3.12. Odoo 18.0 Community: the one importable as `odoo`,
# or ODOO_PATH=/path/to/odoo; with neither, demo and test fetch it into .odoo/ with its
# own .venv/ (from ODOO_SRC, default Odoo's public repository) and reuse it afterwards.
PYTHON ?= python3
export PYTHON

.PHONY: demo demo-stop test test-full lint i18n bench clean-odoo help

help:
	@echo "make demo | demo-stop | test | test-full | lint | i18n | bench | clean-odoo"

demo:  ## database optical_demo, Italian, demo data, served at http://localhost:8069
	@tests/tools/demo.sh

demo-stop:
	@tests/tools/demo_stop.sh

test:  ## fresh database, Odoo's test runner on our addons, then pytest-odoo
	@tests/tools/run_tests.sh

test-full:  ## make test, Odoo's own account/sms/mass_mailing_sms/phone_validation tests beside our addons, the fault suite
	@tests/tools/run_tests.sh
	@tests/tools/run_core_tests.sh
	@tests/tools/run_fault_tests.sh

lint:  ## ruff and pylint-odoo, OCA configuration, pinned versions
	@$(PYTHON) -m pip install -q --disable-pip-version-check -r lint-requirements.txt >/dev/null 2>&1
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	$(PYTHON) -m pylint --rcfile=.pylintrc optical_crm optical_crm_sms optical_crm_cycles optical_crm_pos

i18n:  ## export each addon's .pot from a throw-away database and merge it into it.po
	@tests/tools/export_i18n.sh

bench:  ## every benchmark, one table (BENCH_SCALE=small: a quick run)
	@$(PYTHON) tests/benchmarks/run_all.py

clean-odoo:  ## remove the Odoo fetched by demo/test (.odoo/) and its virtual environment (.venv/)
	rm -f .odoo/.fetch-complete .venv/.install-complete
	rm -rf .odoo .venv
