import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ADDONS = ("optical_crm", "optical_crm_sms", "optical_crm_cycles", "optical_crm_pos")
# the fault suite (minutes of real outages and crashes) runs in make test-full
# only (tests/tools/run_fault_tests.sh sets OPTICAL_FAULTS)
collect_ignore = [] if os.environ.get("OPTICAL_FAULTS") else ["faults"]


@pytest.fixture(scope="session")
def repo():
    return REPO


@pytest.fixture(scope="session")
def addons():
    return ADDONS


def pytest_report_header(config):
    return f"optical_crm repo checks, database {os.environ.get('OPTICAL_TEST_DB', '?')}"
