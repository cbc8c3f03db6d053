"""Faults with real Odoo processes on one database (issue 9, point 2).

The two scheduled actions that move a cycle message to the customer, the cycle
dispatch (``optical_crm_cycles.ir_cron_cycle_dispatch``) and the SMS queue
(``sms.ir_cron_sms_scheduler_action``, here through the loopback fake
Skebby-style provider), run in separate processes: worker processes running the
actions' code as a cron thread does (tests/cycles_worker.py ``cron``), and real
``odoo-bin`` servers with their cron threads. Each test prints what the fake
provider received and checks that every due message got there exactly once,
none lost, every execution in a final state with its reason.

``FAULT_OUTAGE_SECONDS`` (default 150) is the length of the provider outage.
"""

import json
import os
import signal
import time

from .common import (
    age_in_flight,
    age_uncertain,
    final_report,
    query,
    report,
    run_together,
    setup_cycle,
    sms_states,
    start,
    start_server,
    stop_server,
    wait_mid,
    wait_until,
    wake_crons,
    worker,
)

OUTAGE = float(os.environ.get("FAULT_OUTAGE_SECONDS", 150))
DAY = 24 * 60


def execution_states(db, cycle_id):
    return dict(
        query(
            db,
            "SELECT state, COUNT(*) FROM optical_cycle_execution WHERE cycle_id = %s "
            "GROUP BY state",
            [cycle_id],
        )
    )


def kill(proc):
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL


def test_kill_9_during_dispatch_and_during_sending(fault_db, fake):
    """(a) kill -9 in the middle of a dispatch batch, restart; kill -9 while a
    batch of SMS is at the provider (before its outcome is written), restart."""
    db = fault_db
    cycle_id, partner_ids = setup_cycle(
        db, fake, "kill", 51, 120, dispatch_batch=40, sms_batch=20
    )
    # 1. killed during the third dispatch batch (two committed)
    victim = start(db, "cron", "--pause-after", 3, "--until-idle")
    wait_mid(victim)
    kill(victim)
    assert execution_states(db, cycle_id) == {"sent": 80, "scheduled": 160}
    assert sms_states(db, cycle_id) == {"outgoing": 80}
    assert not fake.accepted, "the queue had not run yet"
    # 2. restarted: dispatches the rest, killed with its third SMS batch at the
    # provider, outcome not written
    victim = start(db, "cron", "--pause-sms", 3, "--until-idle")
    wait_mid(victim)
    kill(victim)
    assert execution_states(db, cycle_id) == {"sent": 240}
    assert sms_states(db, cycle_id) == {"pending": 40, "process": 20, "outgoing": 180}
    assert len(fake.accepted) == 60
    # 3. restarted at once: the rest goes, the 20 in flight are not sent again
    result = worker(db, "cron", "--until-idle")
    assert result["errors"] == 0
    assert sms_states(db, cycle_id) == {"pending": 220, "process": 20}
    assert len(fake.accepted) == 240 and fake.duplicates() == 0
    # 4. five minutes later the queue asks the provider about them: it has them
    lookups = fake.lookups
    age_in_flight(db)
    worker(db, "cron", "--until-idle")
    assert fake.lookups - lookups == 20
    report(db, fake, cycle_id, partner_ids, "kill -9 during dispatch and sending")


def test_connection_dropped_mid_batch(fault_db, fake):
    """(b) the worker's PostgreSQL connection is terminated in the middle of a
    dispatch batch, then in the middle of an SMS batch; the same process goes
    on with a new connection, as an Odoo cron thread does."""
    db = fault_db
    cycle_id, partner_ids = setup_cycle(
        db, fake, "drop", 52, 100, dispatch_batch=30, sms_batch=25
    )
    proc = start(db, "cron", "--pause-after", 2, "--pause-sms", 2, "--until-idle")
    for _phase in ("dispatch", "sms"):
        backend = wait_mid(proc)
        [(terminated,)] = query(db, "SELECT pg_terminate_backend(%s)", [backend])
        assert terminated
        proc.stdin.write("GO\n")
        proc.stdin.flush()
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-3000:]
    result = json.loads(out.strip().splitlines()[-1])
    print(f"\n   worker: {result}")
    assert result["errors"] == 2, out  # one per dropped connection, then it went on
    assert result["dispatched"] == 230, "the batch rolled back was taken again"
    # the dispatch batch rolled back with the connection and was taken again;
    # the SMS batch is at the provider, its outcome lost with the connection
    assert execution_states(db, cycle_id) == {"sent": 200}
    assert sms_states(db, cycle_id) == {"pending": 175, "process": 25}
    assert len(fake.accepted) == 200 and fake.duplicates() == 0
    age_in_flight(db)
    worker(db, "cron", "--until-idle")
    report(db, fake, cycle_id, partner_ids, "connection dropped mid-batch")


def test_provider_outage_then_recovery(fault_db, fake, tmp_path):
    """(c) a real Odoo server (odoo-bin, cron thread) dispatches and sends while
    the provider is down for ``FAULT_OUTAGE_SECONDS``: first it answers 503 to
    everything, then it refuses connections; then it is back."""
    db = fault_db
    cycle_id, partner_ids = setup_cycle(db, fake, "outage", 53, 60, sms_batch=50)
    server = start_server(db, tmp_path / "odoo.log")
    try:
        fake.outage(OUTAGE / 2)
        started = time.time()
        wake_crons(db)
        refusing = None
        seen = {}

        def progress(elapsed, states):
            nonlocal refusing
            if refusing is None and time.time() - started >= OUTAGE / 2:
                refusing = fake.refuse(OUTAGE - (time.time() - started))
            if states != seen.get("last"):
                seen["last"] = states
                print(f"   {elapsed:5.0f} s: SMS {states}", flush=True)

        elapsed = wait_until(db, cycle_id, 120, OUTAGE + 600, progress)
        print(
            f"   all accepted {elapsed:.0f} s after the outage began ({OUTAGE:.0f} s)"
        )
    finally:
        stop_server(server)
    assert elapsed >= OUTAGE, "nothing got through during the outage"
    rows = report(db, fake, cycle_id, partner_ids, f"provider outage of {OUTAGE:.0f} s")
    assert fake.stats()["outage_requests"] > 0
    assert min(row[5] for row in rows) >= 2, "every message was retried"


def test_two_servers_on_the_same_due_set(fault_db, fake, tmp_path):
    """(d) two processes run both scheduled actions over the same due set at
    the same moment (no cron lock between them: one could be a manual run),
    then two odoo-bin servers with two cron threads each share another one."""
    db = fault_db
    cycle_id, partner_ids = setup_cycle(
        db, fake, "pair", 54, 150, dispatch_batch=25, sms_batch=20
    )
    results = run_together(
        [start(db, "cron", "--sync", "--until-idle", "--sleep", 0.2) for _i in range(2)]
    )
    print(f"\n   two workers: {results}")
    assert sum(r["dispatched"] for r in results) == 300
    assert all(r["dispatched"] > 0 for r in results), "both took a share"
    assert all(r["to_provider"] > 0 for r in results), "both sent"
    report(db, fake, cycle_id, partner_ids, "two workers at the same time")

    fake.reset()
    second_id, second_partners = setup_cycle(
        db, fake, "servers", 55, 150, provider=False
    )
    servers = [
        start_server(db, tmp_path / f"odoo-{n}.log", cron_threads=2) for n in (1, 2)
    ]
    try:
        wake_crons(db)
        wait_until(db, second_id, 300, 600)
    finally:
        for server in servers:
            stop_server(server)
    report(db, fake, second_id, second_partners, "two odoo-bin servers")


def test_outage_longer_than_the_uncertainty_window(fault_db, fake):
    """(e) answers lost (40 of 80 messages: half of them reached the provider,
    half did not), then the provider is unreachable for longer than a day, on a
    simulated clock (the in-flight marks moved back 25 hours). Nothing is sent
    twice; the 40 in doubt end failed "outcome unknown, not retried" and stay so
    when the provider is back."""
    db = fault_db
    cycle_id, _partners = setup_cycle(db, fake, "longout", 56, 40, sms_batch=20)
    fake.script(*(["malformed"] * 20 + ["reset"] * 20))
    worker(db, "cron", "--until-idle")
    assert sms_states(db, cycle_id) == {"pending": 40, "process": 40}
    fake.outage(3600)  # every request answered 503, lookups included
    age_uncertain(db, 6)
    # asked again every minute meanwhile: never idle, the worker runs 30 s
    worker(db, "cron", "--until-idle", "--seconds", 30)
    assert sms_states(db, cycle_id) == {"pending": 40, "process": 40}
    age_uncertain(db, DAY + 60)  # a day later, the provider still unreachable
    worker(db, "cron", "--until-idle")
    worker(db, "cron", "--until-idle")  # the dispatch reconciles the failures
    fake.outage(0)  # the provider is back
    age_uncertain(db, DAY)
    worker(db, "cron", "--until-idle")
    rows, accepted = final_report(
        db, fake, cycle_id, "outage longer than the uncertainty window"
    )
    assert execution_states(db, cycle_id) == {"sent": 40, "failed": 40}
    unknown = [row for row in rows if row[0] == "failed"]
    assert {(r[1], r[3], r[4]) for r in unknown} == {
        ("outcome_unknown", "error", "optical_outcome_unknown")
    }
    assert sum(accepted.values()) == 60, "40 answered + 20 kept, none twice"
    assert fake.stats()["send_requests"] == 80, "nothing sent again"


def test_kill_9_on_the_iap_path(fault_db, tmp_path):
    """(f) shops on Odoo IAP: kill -9 while a batch is at IAP (answered, outcome
    not written), restart: the batch in flight is never sent again; a day later
    it fails "outcome unknown, not retried" (IAP cannot be asked)."""
    from odoo.addons.optical_crm_sms.tests.fake_providers import FakeIap

    db = fault_db
    with FakeIap() as iap:
        cycle_id, _partners = setup_cycle(
            db, iap, "iapkill", 57, 60, provider=False, endpoint=iap.url, sms_batch=20
        )
        victim = start(db, "cron", "--pause-iap", 3, "--until-idle")
        wait_mid(victim)
        kill(victim)
        assert sms_states(db, cycle_id) == {
            "outgoing": 60,
            "process": 20,
            "pending": 40,
        }
        assert len(iap.accepted) == 60
        worker(db, "cron", "--until-idle")
        states = sms_states(db, cycle_id)
        assert states.get("process") == 20 and states.get("outgoing") is None, states
        age_in_flight(db, 60)
        worker(db, "cron", "--until-idle")
        assert sms_states(db, cycle_id).get("process") == 20, "not sent again"
        age_in_flight(db, DAY)
        worker(db, "cron", "--until-idle")
        worker(db, "cron", "--until-idle")
        rows, accepted = final_report(db, iap, cycle_id, "kill -9 on the IAP path")
    assert len(rows) == 120 and sum(accepted.values()) == 120
    assert iap.stats()["send_requests"] == 6
    assert execution_states(db, cycle_id) == {"sent": 100, "failed": 20}
