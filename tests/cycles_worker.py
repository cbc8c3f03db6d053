#!/usr/bin/env python3
"""A real Odoo process for the exactly-once checks of optical_crm_cycles
(tests/test_cycles_exactly_once.py) and the fault suite (tests/faults/):
prepares due cycle messages (SMS through Odoo IAP, or through a Skebby-style
provider with ``--provider URL``), dispatches them (optionally pausing
mid-batch, before the batch's commit, so that the test can kill it), sends the
SMS queue, runs the two scheduled actions in a loop as an Odoo server's cron
thread does (``cron``: a database error ends the run of the job, not the
process), or races another process to enroll the same documents.

One JSON line on stdout at the end. When paused it prints ``MID <backend pid>``
(the PostgreSQL backend of its cursor) and waits for a line on stdin.
"""

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

CRONS = (
    "optical_crm_cycles.ir_cron_cycle_dispatch",
    "sms.ir_cron_sms_scheduler_action",
)


def _env(args):
    import odoo
    from odoo.modules.registry import Registry

    options = ["-d", args.db, "--log-level=warn", "--max-cron-threads=0"]
    if args.config:
        options += ["-c", args.config]
    odoo.tools.config.parse_config(options)
    return odoo, Registry(args.db)


def setup(env, args):
    """Shop open around the clock, loopback SMS endpoint; per ``--cycle
    tag:prefix:customers:mode``, customers with consent and a cycle with two SMS
    steps, where mode ``due`` enrolls everyone with both steps due now, ``later``
    enrolls them with both steps due tomorrow, ``none`` enrolls nobody."""
    sys.path.insert(0, str(Path(__file__).parent / "benchmarks"))
    from common import open_all_hours

    open_all_hours(env.company)
    if args.endpoint:
        env["ir.config_parameter"].set_param("sms.endpoint", args.endpoint)
    env["iap.account"].get("sms")
    if args.provider:
        _setup_provider(env, args)
    elif args.sms_batch != 500:
        env["ir.config_parameter"].set_param("sms.session.batch.size", args.sms_batch)
    if args.dispatch_batch:
        env["ir.config_parameter"].set_param(
            "optical_crm_cycles.dispatch_batch_size", args.dispatch_batch
        )
    result = {}
    for spec in args.cycle:
        tag, prefix, count, mode = spec.split(":")
        result[tag] = _setup_cycle(env, tag, prefix, int(count), mode)
    env.cr.commit()
    return result


def _setup_provider(env, args):
    """The company sends through a Skebby-style provider at ``--provider``, in
    SMS batches of ``--sms-batch``."""
    import importlib.util

    path = Path(__file__).parent.parent / "optical_crm_sms/tests/fake_providers.py"
    spec = importlib.util.spec_from_file_location("optical_fake_providers", path)
    fakes = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fakes)
    FakeSkebby = fakes.FakeSkebby
    env.company.country_id = env.ref("base.it")
    env["optical.sms.provider"].create(
        {
            "name": "Skebby (fake)",
            "provider_type": "skebby",
            "api_url": args.provider + FakeSkebby.prefix,
            "username": FakeSkebby.username,
            "password": FakeSkebby.password,
            "sender": "OtticaRossi",
            "parallel_requests": 4,
            "timeout": 5,
            "company_id": env.company.id,
        }
    )
    env["ir.config_parameter"].set_param("sms.session.batch.size", args.sms_batch)


def _setup_cycle(env, tag, prefix, count, mode):
    from odoo import Command

    partners = env["res.partner"].create(
        [
            {"name": f"{tag} {i}", "mobile": f"+39 3{prefix}{i:07d}"}
            for i in range(count)
        ]
    )
    partners._optical_record_consent("sms", "marketing", True, "store")
    cycle = env["optical.cycle"].create(
        {
            "name": f"exactly once {tag}",
            "late_tolerance_days": 30,
            "step_ids": [
                Command.create(
                    {
                        "name": "first",
                        "delay_count": 0,
                        "delay_unit": "days",
                        "sms_body": "Primo {{ object.partner_id.name }}",
                    }
                ),
                Command.create(
                    {
                        "name": "second",
                        "delay_count": 1,
                        "delay_unit": "days",
                        "sms_body": "Secondo {{ object.partner_id.name }}",
                    }
                ),
            ],
        }
    )
    if mode != "none":
        env["optical.cycle.enrollment"]._optical_enroll(
            _candidates(env, cycle, partners)
        )
        env.cr.execute(
            "UPDATE optical_cycle_execution SET scheduled_at = "
            "(now() AT TIME ZONE 'UTC') + %s WHERE cycle_id = %s",
            ["-1 minute" if mode == "due" else "1 day", cycle.id],
        )
    return {"cycle_id": cycle.id, "partner_ids": partners.ids}


def _candidates(env, cycle, partners):
    trigger_date = dt.date.today() - dt.timedelta(days=3)
    return [
        {
            "cycle": cycle,
            "partner_id": partner.id,
            "source_ref": f"res.partner,{partner.id}",
            "source_key": cycle.name,
            "move_id": False,
            "trigger_date": trigger_date,
            "trigger_at": None,
            "watch_categories": "",
        }
        for partner in partners
    ]


def _pause(env):
    """Say ``MID <backend pid>`` and wait for a line on stdin (the test kills
    this process, or drops its connection, meanwhile)."""
    env.cr.execute("SELECT pg_backend_pid()")
    print(f"MID {env.cr.fetchone()[0]}", flush=True)
    sys.stdin.readline()


def _pause_sms_after(env, count):
    """Pause once the ``count``-th SMS batch is at the provider, before its
    outcome is written (the batch is in flight, committed)."""
    cls = type(env["optical.sms.provider"])
    original = cls._optical_call_send
    done = []

    def paused(self, items):
        outcomes = original(self, items)
        done.append(len(items))
        if len(done) == count:
            _pause(self.env)
        return outcomes

    cls._optical_call_send = paused


def _pause_iap_after(count):
    """Pause once the ``count``-th batch is at Odoo IAP (answered), before its
    outcome is written (the batch is in flight, committed)."""
    from odoo.addons.sms.tools.sms_api import SmsApi

    original = SmsApi._send_sms_batch
    done = []

    def paused(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        done.append(1)
        if len(done) == count:
            _pause(self.env)
        return result

    SmsApi._send_sms_batch = paused


def _wait(sync):
    """With ``--sync``: say READY once loaded, start when the test says GO (so
    that two workers really run at the same time)."""
    if sync:
        print("READY", flush=True)
        sys.stdin.readline()


def _pause_dispatch_after(env, args):
    """Pause after the ``--pause-after``-th dispatch batch, before its commit."""
    cls = type(env["optical.cycle.execution"])
    original = cls._optical_dispatch_locked
    done = []

    def paused(self, now):
        original(self, now)
        done.append(len(self))
        if len(done) == args.pause_after:
            # the batch's SMS rows and traces exist, its commit has not run
            _pause(self.env)

    cls._optical_dispatch_locked = paused


def dispatch(env, args):
    Execution = env["optical.cycle.execution"]
    if args.pause_after:
        _pause_dispatch_after(env, args)
    _wait(args.sync)
    processed = Execution._optical_dispatch(batch_size=args.batch, max_batches=10**6)
    env.cr.commit()
    if args.queue:
        queue(env, args)
    return {"processed": processed}


def queue(env, args):
    Sms = env["sms.sms"]
    for _attempt in range(50):
        if not Sms.search_count([("state", "=", "outgoing")]):
            break
        Sms._process_queue()
        env.cr.commit()
    return {"outgoing": Sms.search_count([("state", "=", "outgoing")])}


def cron(registry, args):
    """What an Odoo server's cron thread does with the two scheduled actions:
    run each one's server action, commit, again until nothing is left to do
    now (``--until-idle``) or for ``--seconds``. A database error (connection
    dropped) ends that run, logged; the next run takes a new connection."""
    import odoo

    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        if args.pause_after:
            _pause_dispatch_after(env, args)
        if args.pause_sms:
            _pause_sms_after(env, args.pause_sms)
        if args.pause_iap:
            _pause_iap_after(args.pause_iap)
        sent = _count_sent(env)
    _wait(args.sync)
    deadline = time.time() + args.seconds
    runs = errors = 0
    while True:
        try:
            with registry.cursor() as cr:
                env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
                for xmlid in CRONS:
                    env.ref(xmlid).ir_actions_server_id.run()
                    cr.commit()
                    runs += 1
                busy = _work_left(env)
        except Exception as error:  # noqa: BLE001 - as Odoo's cron thread: logged
            errors += 1
            text = " ".join(str(error).split())
            print(f"ERROR {type(error).__name__}: {text}", flush=True)
            busy = True
        if (args.until_idle and not busy) or time.time() > deadline:
            return {"runs": runs, "errors": errors, **sent}
        time.sleep(args.sleep)


def _count_sent(env):
    """Count what this process dispatches and hands to the provider."""
    counts = {"dispatched": 0, "to_provider": 0}
    for model, method, key in (
        ("optical.cycle.execution", "_optical_dispatch_locked", "dispatched"),
        ("optical.sms.provider", "_optical_call_send", "to_provider"),
    ):
        cls = type(env[model])
        original = getattr(cls, method)

        def counted(self, *args, _original=original, _key=key, **kwargs):
            result = _original(self, *args, **kwargs)
            counts[_key] += len(args[0]) if _key == "to_provider" else len(self)
            return result

        setattr(cls, method, counted)
    return counts


def _work_left(env):
    """Due executions, or SMS that can be sent or checked now."""
    env.cr.execute(
        """
        SELECT (SELECT COUNT(*) FROM optical_cycle_execution
                 WHERE state = 'scheduled'
                   AND scheduled_at <= now() AT TIME ZONE 'UTC')
             + (SELECT COUNT(*) FROM sms_sms
                 WHERE to_delete IS NOT TRUE
                   AND ((state = 'outgoing' AND (optical_next_try_at IS NULL
                          OR optical_next_try_at <= now() AT TIME ZONE 'UTC'))
                     OR (state = 'process' AND optical_provider_id IS NOT NULL
                         AND (optical_next_try_at <= now() AT TIME ZONE 'UTC'
                          OR optical_in_flight_since
                          <= now() AT TIME ZONE 'UTC' - interval '5 minutes'))
                     OR (state = 'process' AND optical_provider_id IS NULL
                         AND optical_sent_at IS NULL AND optical_in_flight_since
                          <= now() AT TIME ZONE 'UTC' - interval '1 day')))
        """
    )
    return env.cr.fetchone()[0]


def enroll(env, args):
    """Enroll the cycle's customers, racing another process doing the same; a
    serialization failure is retried, as Odoo retries a request."""
    import psycopg2.errors

    cycle = env["optical.cycle"].search([("name", "=", f"exactly once {args.tag}")])
    partners = env["res.partner"].search([("name", "=like", f"{args.tag} %")])
    _wait(args.sync)
    retries = 0
    while True:
        try:
            result = env["optical.cycle.enrollment"]._optical_enroll(
                _candidates(env, cycle, partners)
            )
            env.cr.commit()
            return {"enrolled": len(result["enrollments"]), "retries": retries}
        except psycopg2.errors.SerializationFailure:
            env.cr.rollback()
            env.invalidate_all()
            retries += 1


def inbox(env, args):
    """Apply the delivery reports received (the inbox's scheduled action)."""
    applied = env["optical.sms.report"]._optical_cron_apply()
    env.cr.commit()
    return {"applied": applied, "left": env["optical.sms.report"].search_count([])}


MODES = {
    "setup": setup,
    "dispatch": dispatch,
    "queue": queue,
    "enroll": enroll,
    "inbox": inbox,
}
REGISTRY_MODES = {"cron": cron}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=sorted(MODES) + sorted(REGISTRY_MODES))
    parser.add_argument("--db", required=True)
    parser.add_argument("--config")
    parser.add_argument("--tag", default="cyc")
    parser.add_argument("--cycle", action="append", default=[])
    parser.add_argument("--endpoint")
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--pause-after", type=int, default=0)
    parser.add_argument("--sync", action="store_true")
    parser.add_argument("--queue", action="store_true")
    parser.add_argument("--provider", help="URL of a Skebby-style provider")
    parser.add_argument("--sms-batch", type=int, default=500)
    parser.add_argument("--dispatch-batch", type=int, default=0)
    parser.add_argument("--pause-sms", type=int, default=0)
    parser.add_argument("--pause-iap", type=int, default=0)
    parser.add_argument("--until-idle", action="store_true")
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--sleep", type=float, default=1)
    args = parser.parse_args()
    odoo, registry = _env(args)
    if args.mode in REGISTRY_MODES:
        print(json.dumps(REGISTRY_MODES[args.mode](registry, args)), flush=True)
        return 0
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        result = MODES[args.mode](env, args)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
