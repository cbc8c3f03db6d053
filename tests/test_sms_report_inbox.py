"""Delivery reports never wait for a batch being sent (issue 14, item 5).

A real odoo-bin serves a copy of the tested database; 500 SMS accepted by the
fake Skebby-style provider are locked by another connection, as a sending batch
holds its rows while it calls the provider. A delivery report posted over HTTP
meanwhile is answered while the lock is still held (it does not wait for it),
stored in the inbox, and applied by the inbox's scheduled action once the batch
lets go of the rows.
"""

import os
import subprocess
import threading

import pytest

import odoo
from odoo.sql_db import close_db, db_connect

from .faults.common import setup_cycle, start_server, stop_server
from .test_cycles_exactly_once import query, worker


@pytest.fixture
def fake():
    from odoo.addons.optical_crm_sms.tests.fake_providers import FakeSkebby

    server = FakeSkebby().start()
    yield server
    server.stop()


@pytest.fixture
def copy_db():
    source = odoo.tools.config["db_name"]
    name = f"{source}_inbox_{os.getpid()}"
    close_db(source)
    subprocess.run(["dropdb", "--if-exists", name], check=True)
    subprocess.run(["createdb", "-T", source, name], check=True)
    yield name
    close_db(name)
    subprocess.run(["dropdb", "--if-exists", name], check=False)


def test_report_answered_while_the_batch_is_locked(copy_db, fake, tmp_path):
    db = copy_db
    cycle_id, _partners = setup_cycle(db, fake, "inbox", 61, 250, sms_batch=500)
    result = worker(db, "cron", "--until-idle")
    assert result["errors"] == 0
    rows = query(
        db,
        """
        SELECT s.id, s.uuid FROM sms_sms s
          JOIN mailing_trace t ON t.sms_id_int = s.id
          JOIN optical_cycle_execution x
            ON t.model = 'optical.cycle.execution' AND t.res_id = x.id
         WHERE x.cycle_id = %s AND s.state = 'pending' ORDER BY s.id
        """,
        [cycle_id],
    )
    assert len(rows) == 500
    [(provider_id, secret)] = query(
        db, "SELECT id, dlr_secret FROM optical_sms_provider WHERE active"
    )
    server = start_server(db, tmp_path / "odoo.log", cron_threads=0)
    try:
        url = (
            f"http://127.0.0.1:{server.port}/optical_sms/dlr/skebby/"
            f"{provider_id}/{secret}"
        )
        target_id, target_uuid = rows[250]
        answers = []
        with db_connect(db).cursor() as batch:
            # the batch: every row locked, as while its provider calls run
            batch.execute(
                "SELECT id FROM sms_sms WHERE id = ANY(%s) FOR NO KEY UPDATE",
                [[row[0] for row in rows]],
            )
            assert len(batch.fetchall()) == 500
            report = threading.Thread(
                target=lambda: answers.append(fake.report(url, target_uuid, "DLVRD"))
            )
            report.start()
            report.join(timeout=120)
            # answered before the batch let go of its rows: it did not wait
            assert not report.is_alive(), "the report waited for the batch's lock"
            assert answers == [200]
            # while the batch holds the rows, the inbox job leaves the report
            assert worker(db, "inbox") == {"applied": 0, "left": 1}
            batch.rollback()  # the batch ends
        assert query(db, "SELECT state FROM sms_sms WHERE id = %s", [target_id]) == [
            ("pending",)
        ]
        # applied afterwards, once; a late duplicate changes nothing
        assert worker(db, "inbox") == {"applied": 1, "left": 0}
        assert fake.report(url, target_uuid, "WAIT4DLVR") == 200
        assert worker(db, "inbox") == {"applied": 0, "left": 0}
    finally:
        stop_server(server)
    assert query(db, "SELECT state FROM sms_sms WHERE id = %s", [target_id]) == [
        ("sent",)
    ]
    [(others,)] = query(
        db,
        "SELECT COUNT(*) FROM sms_sms WHERE id = ANY(%s) AND state = 'pending'",
        [[row[0] for row in rows]],
    )
    assert others == 499
