"""Fixtures of the fault suite (tests/faults/common.py has the helpers)."""

import os
import subprocess

import pytest

import odoo
from odoo.sql_db import close_db


@pytest.fixture(scope="module")
def fake():
    # imported here: Odoo's addons path is not set when conftest files load
    from odoo.addons.optical_crm_sms.tests.fake_providers import FakeSkebby

    server = FakeSkebby().start()
    yield server
    server.stop()


@pytest.fixture
def fault_db(fake):
    """A copy of the tested database (addons installed), dropped at the end."""
    fake.reset()
    source = odoo.tools.config["db_name"]
    name = f"{source}_fault_{os.getpid()}"
    close_db(source)  # createdb -T needs the template without connections
    subprocess.run(["dropdb", "--if-exists", name], check=True)
    subprocess.run(["createdb", "-T", source, name], check=True)
    yield name
    close_db(name)
    subprocess.run(["dropdb", "--if-exists", name], check=False)
