"""Helpers of the fault suite (issue 9): real Odoo processes
against one database, the loopback fake Skebby-style provider, crashes, dropped
connections, outages and races.

Collected only when ``OPTICAL_FAULTS`` is set (``make test-full``,
tests/tools/run_fault_tests.sh); ``make test`` leaves it out (tests/conftest.py).
"""

import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

import odoo

from .. import test_cycles_exactly_once as once

query = once.query
worker = once.worker
run_together = once.run_together
WORKER = once.WORKER
ODOO_BIN = Path(odoo.__file__).resolve().parent.parent / "odoo-bin"
FINAL_STATES = ("sent", "skipped", "failed", "cancelled")


def setup_cycle(db, fake, tag, prefix, count, provider=True, **options):
    """``count`` customers enrolled in a two-step SMS cycle due now, sent through
    the fake Skebby-style provider (set up unless ``provider`` is False); returns
    ``(cycle_id, partner_ids)``."""
    args = ["--cycle", f"{tag}:{prefix}:{count}:due"]
    if provider:
        args += ["--provider", fake.url]
    for key, value in options.items():
        args += [f"--{key.replace('_', '-')}", value]
    result = worker(db, "setup", *args)[tag]
    return result["cycle_id"], result["partner_ids"]


def start(db, *args):
    """A worker process (tests/cycles_worker.py) left running."""
    return worker(db, *args, wait=False)


def wait_mid(proc, timeout=300):
    """Wait for the worker's ``MID <pid>``; return its PostgreSQL backend pid."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        line = proc.stdout.readline()
        if line.startswith("MID"):
            return int(line.split()[1])
        if not line and proc.poll() is not None:
            break
    raise AssertionError(f"no MID from the worker: {proc.stderr.read()[-3000:]}")


def sms_states(db, cycle_id):
    return dict(
        query(
            db,
            """
            SELECT s.state, COUNT(*) FROM optical_cycle_execution x
              JOIN mailing_trace t
                ON t.model = 'optical.cycle.execution' AND t.res_id = x.id
              JOIN sms_sms s ON s.id = t.sms_id_int
             WHERE x.cycle_id = %s GROUP BY s.state
            """,
            [cycle_id],
        )
    )


def age_in_flight(db, minutes=6):
    """Simulated time: the messages left in flight were marked ``minutes`` ago
    (the SMS queue asks the provider about them after five)."""
    query(
        db,
        "UPDATE sms_sms SET optical_in_flight_since = optical_in_flight_since "
        "- make_interval(mins => %s) WHERE state = 'process'",
        [minutes],
        commit=True,
    )


def age_uncertain(db, minutes):
    """Simulated clock: the messages in flight were marked, and were due to be
    asked about, ``minutes`` earlier (the outage lasts that much longer)."""
    query(
        db,
        "UPDATE sms_sms SET optical_in_flight_since = optical_in_flight_since "
        "- make_interval(mins => %s), optical_next_try_at = optical_next_try_at "
        "- make_interval(mins => %s) WHERE state = 'process'",
        [minutes, minutes],
        commit=True,
    )


def final_report(db, fake, cycle_id, title):
    """Print and return what the provider accepted of the cycle's messages and
    how each execution ended; checks exactly once and a final state with a
    reason for every message."""
    rows = query(
        db,
        """
        SELECT x.state, x.reason, s.uuid, s.state, s.failure_type
          FROM optical_cycle_execution x
          LEFT JOIN mailing_trace t
            ON t.model = 'optical.cycle.execution' AND t.res_id = x.id
          LEFT JOIN sms_sms s ON s.id = t.sms_id_int
         WHERE x.cycle_id = %s
        """,
        [cycle_id],
    )
    ours = {row[2] for row in rows}
    accepted = Counter(key for key in fake.accepted if key in ours)
    executions = Counter((row[0], row[1]) for row in rows)
    never = [row for row in rows if not accepted.get(row[2])]
    print(
        f"\n== {title}: due {len(rows)}, provider accepted {sum(accepted.values())} "
        f"({len(accepted)} distinct, duplicates {fake.duplicates()}), never "
        f"received {len(never)}, each of them final: "
        f"{dict(Counter((r[0], r[1], r[4]) for r in never))}"
        f"\n   executions (state, reason): {dict(executions)}"
        f"\n   SMS (state, failure): {dict(Counter((r[3], r[4]) for r in rows))}"
    )
    assert fake.duplicates() == 0 and set(accepted.values()) <= {1}
    assert all(state in FINAL_STATES and reason for state, reason in executions)
    return rows, accepted


def report(db, fake, cycle_id, partner_ids, title, steps=2):
    """Print what the fake provider received and check that every due message
    was received exactly once, none lost, and that every execution is in a
    final state with its reason."""
    due = len(partner_ids) * steps
    executions = query(
        db,
        "SELECT state, reason, COUNT(*) FROM optical_cycle_execution "
        "WHERE cycle_id = %s GROUP BY state, reason ORDER BY 1, 2",
        [cycle_id],
    )
    rows = query(
        db,
        """
        SELECT x.id, x.partner_id, s.uuid, s.state, s.optical_provider_ref,
               s.optical_attempt_count, s.failure_type, s.optical_failure_reason
          FROM optical_cycle_execution x
          LEFT JOIN mailing_trace t
            ON t.model = 'optical.cycle.execution' AND t.res_id = x.id
          LEFT JOIN sms_sms s ON s.id = t.sms_id_int
         WHERE x.cycle_id = %s
        """,
        [cycle_id],
    )
    stats = fake.stats()
    ours = {row[2] for row in rows if row[2]}
    accepted = Counter(key for key in fake.accepted if key in ours)
    received = Counter(
        partner for _x, partner, uuid, *_rest in rows if accepted.get(uuid)
    )
    attempts = Counter(row[5] for row in rows)
    lost = [row for row in rows if not accepted.get(row[2])]
    print(
        f"\n== {title}: fake provider received {stats['send_requests']} send "
        f"requests, accepted {sum(accepted.values())} messages of this cycle "
        f"({len(accepted)} distinct, {sum(accepted.values()) - len(accepted)} "
        f"twice), {stats['lookups']} status lookups, {stats['outage_requests']} "
        f"requests answered 503 during the outage; due {due}, lost {len(lost)}"
        f"\n   executions (state, reason, count): {executions}"
        f"\n   SMS states: {dict(Counter(row[3] for row in rows))}; "
        f"attempts per message: {dict(sorted(attempts.items()))}"
    )
    assert len(rows) == due, "one execution and one SMS per customer and step"
    assert all(state in FINAL_STATES and reason for state, reason, _n in executions)
    assert executions == [("sent", "sent", due)], executions
    assert not lost, f"lost: {lost[:5]}"
    assert set(accepted.values()) == {1}, "every message exactly once"
    assert fake.duplicates() == 0
    assert set(received) == set(partner_ids)
    assert set(received.values()) == {steps}, "each step once per customer"
    assert {row[3] for row in rows} == {"pending"}, "every SMS accepted"
    assert all(row[4] == row[2] for row in rows), "provider reference = SMS uuid"
    return rows


# --------------------------------------------------------------- real servers
def free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(db, log, cron_threads=1):
    """``odoo-bin`` serving ``db`` with its cron threads (the scheduled actions
    run as in production); returns the process once it answers /web/health."""
    port = free_port()
    command = [sys.executable, str(ODOO_BIN)]
    if odoo.tools.config.rcfile:
        command += ["-c", odoo.tools.config.rcfile]
    command += [
        "-d",
        db,
        f"--db-filter=^{db}$",
        f"--http-port={port}",
        "--http-interface=127.0.0.1",
        f"--max-cron-threads={cron_threads}",
        "--workers=0",
        "--log-level=info",
        f"--logfile={log}",
    ]
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL)
    proc.port = port
    deadline = time.time() + 180
    while time.time() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"odoo-bin stopped: {Path(log).read_text()[-3000:]}")
        try:
            url = f"http://127.0.0.1:{port}/web/health"
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310
                if response.status == 200:
                    return proc
        except OSError:
            pass
        time.sleep(1)
    proc.kill()
    raise AssertionError("odoo-bin did not answer /web/health")


def stop_server(proc):
    proc.terminate()
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def wake_crons(db):
    """Trigger the cycle dispatch now and wake the servers' cron threads, as
    Odoo's ``ir.cron._trigger()`` does."""
    query(
        db,
        "INSERT INTO ir_cron_trigger (cron_id, call_at, create_uid, write_uid, "
        "create_date, write_date) SELECT res_id, now() AT TIME ZONE 'UTC', 1, 1, "
        "now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC' FROM ir_model_data "
        "WHERE model = 'ir.cron' AND module = 'optical_crm_cycles' "
        "AND name = 'ir_cron_cycle_dispatch'",
        commit=True,
    )
    # the cron threads listen on the 'postgres' database, as Odoo notifies them
    query("postgres", "SELECT pg_notify('cron_trigger', %s)", [db], commit=True)


def wait_until(db, cycle_id, due, timeout, progress=None):
    """Poll until every SMS of the cycle is accepted (or ``timeout`` seconds)."""
    started = time.time()
    states = {}
    while time.time() - started < timeout:
        states = sms_states(db, cycle_id)
        if states.get("pending", 0) == due:
            return time.time() - started
        if progress:
            progress(time.time() - started, states)
        time.sleep(5)
    raise AssertionError(f"not all sent after {timeout} s: {states}")
