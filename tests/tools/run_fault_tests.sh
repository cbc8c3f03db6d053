#!/usr/bin/env bash
# Part of make test-full: the fault suite (tests/faults/), real Odoo processes
# killed, cut off from PostgreSQL, facing a provider outage, racing each other.
# A fresh database with our addons installed (no unit tests run), then pytest on
# tests/faults only. FAULT_OUTAGE_SECONDS (default 150) sets the outage's length.
set -euo pipefail
export OPTICAL_FAULTS=1
export TEST_TAGS=${FAULT_TEST_TAGS:-/optical_crm_cycles:NoSuchTest}
export PYTEST_ARGS=${FAULT_PYTEST_ARGS:-"tests/faults -s"}
exec "$(dirname "$0")/run_tests.sh"
