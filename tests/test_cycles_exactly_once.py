"""optical_crm_cycles, exactly once with real processes (issue 7).

Odoo's test runner cannot commit, so these checks run here, after it: the
database where ``make test`` installed the addons is cloned, real Odoo processes
(tests/cycles_worker.py) dispatch due cycle messages into it, one is killed with
SIGKILL in the middle of a batch, two run at the same time, two race to enroll
the same documents; the SMS go over HTTP to a loopback fake of Odoo's IAP
endpoint. Every customer must get each step exactly once: one execution sent,
one trace, one SMS received by the fake, per customer and step, none lost.
"""

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

import odoo
from odoo.sql_db import close_db, db_connect

from odoo.addons.optical_crm_cycles.tests.fake_iap import FakeIapSms

WORKER = Path(__file__).resolve().parent / "cycles_worker.py"


@pytest.fixture(scope="module")
def fake():
    server = FakeIapSms().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def clone(fake):
    """A copy of the tested database with three cycles ready, dropped at the end:
    ``crash`` (150 customers, both steps due), ``pair`` (200 customers, due
    tomorrow) and ``race`` (60 customers, not enrolled)."""
    source = odoo.tools.config["db_name"]
    name = f"cyc_once_{os.getpid()}"
    close_db(source)  # createdb -T needs the template without connections
    subprocess.run(["dropdb", "--if-exists", name], check=True)
    subprocess.run(["createdb", "-T", source, name], check=True)
    setup = worker(
        name,
        "setup",
        "--endpoint",
        fake.url,
        "--cycle",
        "crash:20:150:due",
        "--cycle",
        "pair:30:200:later",
        "--cycle",
        "race:40:60:none",
    )
    yield name, setup
    close_db(name)
    subprocess.run(["dropdb", "--if-exists", name], check=False)


def run_together(procs, ready=False):
    """Release workers started with --sync at the same moment."""
    for proc in procs:
        if not ready:
            line = proc.stdout.readline().strip()
            assert line == "READY", proc.stderr.read()[-3000:]
    for proc in procs:
        proc.stdin.write("GO\n")
        proc.stdin.flush()
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def worker(db, mode, *args, wait=True):
    command = [sys.executable, str(WORKER), mode, "--db", db]
    if odoo.tools.config.rcfile:
        command += ["--config", odoo.tools.config.rcfile]
    command += [str(arg) for arg in args]
    proc = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    if not wait:
        return proc
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def query(db, sql, params=(), commit=False):
    with db_connect(db).cursor() as cr:
        cr.execute(sql, params)
        if commit:
            cr.commit()
            return None
        return cr.fetchall()


def assert_each_step_once(db, fake, cycle_id, partner_ids, steps=2):
    """One sent execution, one trace, one contact-log row per customer and step,
    and the fake provider received each customer's number once per step."""
    states = dict(
        query(
            db,
            "SELECT state, COUNT(*) FROM optical_cycle_execution WHERE cycle_id = %s "
            "GROUP BY state",
            [cycle_id],
        )
    )
    expected = len(partner_ids) * steps
    assert states == {"sent": expected}, states
    per_execution = query(
        db,
        """
        SELECT x.id, COUNT(t.id), COUNT(DISTINCT t.sms_id_int)
          FROM optical_cycle_execution x
          LEFT JOIN mailing_trace t
            ON t.model = 'optical.cycle.execution' AND t.res_id = x.id
         WHERE x.cycle_id = %s
         GROUP BY x.id
        """,
        [cycle_id],
    )
    assert len(per_execution) == expected
    assert {(traces, sms) for _id, traces, sms in per_execution} == {(1, 1)}
    [(logs,)] = query(
        db,
        """
        SELECT COUNT(*) FROM optical_contact_log l
          JOIN optical_cycle_step s ON s.id = l.res_id
         WHERE l.res_model = 'optical.cycle.step' AND s.cycle_id = %s
        """,
        [cycle_id],
    )
    assert logs == expected
    numbers = dict(
        query(
            db,
            "SELECT id, phone_sanitized FROM res_partner WHERE id = ANY(%s)",
            [partner_ids],
        )
    )
    ours = set(numbers.values())
    received = Counter(
        number for number, _body, _uuid in fake.received if number in ours
    )
    calls = Counter(number for number in fake.calls if number in ours)
    assert set(received) == ours, "every customer received the messages"
    assert set(received.values()) == {steps}, "each step exactly once"
    assert set(calls.values()) == {steps}, "no duplicate call to the provider"


def test_worker_killed_mid_batch_then_rerun(clone, fake):
    clone, setup = clone
    cycle_id, partner_ids = setup["crash"]["cycle_id"], setup["crash"]["partner_ids"]
    victim = worker(clone, "dispatch", "--batch", 40, "--pause-after", 3, wait=False)
    deadline = time.time() + 240
    line = ""
    while time.time() < deadline and not line.startswith("MID"):
        line = victim.stdout.readline()
        if not line and victim.poll() is not None:
            break
    assert line.startswith("MID"), victim.stderr.read()[-3000:]
    victim.send_signal(signal.SIGKILL)  # kill -9 while its third batch is open
    victim.wait(timeout=60)
    assert victim.returncode == -signal.SIGKILL
    # two batches committed, the third rolled back with the process
    states = dict(
        query(
            clone,
            "SELECT state, COUNT(*) FROM optical_cycle_execution WHERE cycle_id = %s "
            "GROUP BY state",
            [cycle_id],
        )
    )
    assert states == {"sent": 80, "scheduled": 220}, states
    [(sms,)] = query(
        clone,
        "SELECT COUNT(*) FROM mailing_trace t JOIN optical_cycle_execution x "
        "ON t.model = 'optical.cycle.execution' AND t.res_id = x.id "
        "WHERE x.cycle_id = %s",
        [cycle_id],
    )
    assert sms == 80
    # rerun: the rest goes, then the SMS queue sends everything to the provider
    result = worker(clone, "dispatch", "--batch", 40, "--queue")
    assert result["processed"] == 220
    assert_each_step_once(clone, fake, cycle_id, partner_ids)


def test_two_workers_at_the_same_time(clone, fake):
    clone, setup = clone
    cycle_id, partner_ids = setup["pair"]["cycle_id"], setup["pair"]["partner_ids"]
    workers = [
        worker(clone, "dispatch", "--batch", 25, "--sync", wait=False)
        for _i in range(2)
    ]
    for proc in workers:
        assert proc.stdout.readline().strip() == "READY", proc.stderr.read()[-3000:]
    # both loaded: the 400 messages fall due now, and both go
    query(
        clone,
        "UPDATE optical_cycle_execution SET scheduled_at = "
        "(now() AT TIME ZONE 'UTC') - interval '1 minute' WHERE cycle_id = %s",
        [cycle_id],
        commit=True,
    )
    results = [r["processed"] for r in run_together(workers, ready=True)]
    assert sum(results) == 400, results
    assert min(results) > 0, f"both workers took a share: {results}"
    worker(clone, "queue")
    assert_each_step_once(clone, fake, cycle_id, partner_ids)


def test_concurrent_enrollment_of_the_same_documents(clone, fake):
    clone, setup = clone
    setup = setup["race"]
    results = run_together(
        [
            worker(clone, "enroll", "--tag", "race", "--sync", wait=False)
            for _i in range(2)
        ]
    )
    # whoever wins, the documents are enrolled once (the loser, retried like an
    # Odoo request after its serialization failure, finds them enrolled)
    assert sum(r["enrolled"] for r in results) == 60, results
    rows = query(
        clone,
        "SELECT source_ref, COUNT(*) FROM optical_cycle_enrollment WHERE cycle_id = %s "
        "GROUP BY source_ref",
        [setup["cycle_id"]],
    )
    assert len(rows) == 60
    assert {count for _ref, count in rows} == {1}
    [(executions,)] = query(
        clone,
        "SELECT COUNT(*) FROM optical_cycle_execution WHERE cycle_id = %s",
        [setup["cycle_id"]],
    )
    assert executions == 120
