#!/usr/bin/env python3
"""A real Odoo process for the exactly-once checks of optical_crm_cycles
(tests/test_cycles_exactly_once.py): prepares due cycle messages, dispatches
them (optionally pausing mid-batch, before the batch's commit, so that the test
can kill it), sends the SMS queue, or races another process to enroll the same
documents. One JSON line on stdout at the end; ``MID`` when paused.
"""

import argparse
import datetime as dt
import json
import sys
import time


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
    from odoo import Command

    company = env.company
    calendar = env["resource.calendar"].create(
        {
            "name": "always open",
            "tz": "Europe/Rome",
            "attendance_ids": [
                Command.create(
                    {
                        "name": str(day),
                        "dayofweek": str(day),
                        "hour_from": 0,
                        "hour_to": 24,
                    }
                )
                for day in range(7)
            ],
        }
    )
    company.write(
        {
            "optical_send_calendar_id": calendar.id,
            "optical_skip_public_holidays": False,
            "optical_cap_count": 0,
            "optical_hourly_limit": 0,
        }
    )
    env["ir.config_parameter"].set_param("sms.endpoint", args.endpoint)
    env["iap.account"].get("sms")
    result = {}
    for spec in args.cycle:
        tag, prefix, count, mode = spec.split(":")
        result[tag] = _setup_cycle(env, tag, prefix, int(count), mode)
    env.cr.commit()
    return result


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


def _wait(sync):
    """With ``--sync``: say READY once loaded, start when the test says GO (so
    that two workers really run at the same time)."""
    if sync:
        print("READY", flush=True)
        sys.stdin.readline()


def dispatch(env, args):
    Execution = env["optical.cycle.execution"]
    if args.pause_after:
        cls = type(Execution)
        original = cls._optical_dispatch_locked
        done = []

        def paused(self, now):
            original(self, now)
            done.append(len(self))
            if len(done) == args.pause_after:
                # the batch's SMS rows and traces exist, its commit has not run
                print("MID", flush=True)
                time.sleep(300)

        cls._optical_dispatch_locked = paused
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


MODES = {"setup": setup, "dispatch": dispatch, "queue": queue, "enroll": enroll}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=sorted(MODES))
    parser.add_argument("--db", required=True)
    parser.add_argument("--config")
    parser.add_argument("--tag", default="cyc")
    parser.add_argument("--cycle", action="append", default=[])
    parser.add_argument("--endpoint")
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--pause-after", type=int, default=0)
    parser.add_argument("--sync", action="store_true")
    parser.add_argument("--queue", action="store_true")
    args = parser.parse_args()
    odoo, registry = _env(args)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        result = MODES[args.mode](env, args)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
