#!/usr/bin/env python3
"""Benchmarks of optical_crm_cycles (issue 7).

1. Posting 1,000 customer invoices one by one with 5 active cycles, against the
   same with no active cycle (interleaved chunks of 100, same database).
2. Dispatching 10,000 due SMS executions (dispatch cron, then Odoo's SMS queue),
   against stock SMS Marketing sending one mailing to the same 10,000 customers
   (mailing send, then the same queue), in the same run, both to a loopback fake
   of Odoo's IAP SMS endpoint (JSON-RPC /api/sms/3/send, ICP ``sms.endpoint``).
3. Peak memory of the dispatch for 1,000, 10,000 and 50,000 due executions, each
   in a fresh process.

Creates its own throw-away database (``cyc_bench_<pid>``), drops it at the end.
Prints ``BENCH<TAB>figure<TAB>ours<TAB>reference<TAB>target`` lines.
Usage: python3 tests/benchmarks/bench_cycles.py [--keep] [--sizes 1000,10000,50000]
(``BENCH_SCALE=small``: 200 invoices, 1,000 due, sizes 500 and 2,000).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

from common import (
    bench,
    db_name,
    drop,
    environment,
    install,
    open_all_hours,
    registry,
    scaled,
    start_fake,
)

from data.optical_scale import insert_customers, insert_due_executions


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def prepare_company(env, endpoint):
    company = open_all_hours(env.company)
    if endpoint:
        env["ir.config_parameter"].set_param("sms.endpoint", endpoint)
    env["iap.account"].get("sms")
    return company


def insert_due_customers(cr, company_id, cycle, count, prefix):
    """``count`` customers with SMS consent, each with one execution of
    ``cycle``'s step due now; returns the partner ids."""
    partner_ids = insert_customers(
        cr,
        count,
        tag=f"cycles {prefix}",
        company_id=company_id,
        first=prefix * 1_000_000,
        consent_share=1.0,
    )
    insert_due_executions(
        cr,
        partner_ids,
        company_id=company_id,
        cycle_id=cycle.id,
        step_id=cycle.step_ids.id,
    )
    return partner_ids


def sms_cycle(env, name):
    from odoo import Command

    return env["optical.cycle"].create(
        {
            "name": name,
            "optical_categories": [],
            "step_ids": [
                Command.create(
                    {
                        "name": "Promemoria",
                        "delay_count": 0,
                        "delay_unit": "days",
                        "sms_body": "Buongiorno {{ object.partner_id.name }}, "
                        "la aspettiamo in negozio.",
                    }
                )
            ],
        }
    )


# ---------------------------------------------------------------- phases
def phase_post(db, count):
    """Post ``count`` invoices one by one with 5 active cycles and as many with
    none, interleaved by chunks of 100."""
    odoo, reg = registry(db)
    from odoo import Command

    with reg.cursor() as cr:
        env = environment(cr)
        prepare_company(env, None)
        Product = env["product.product"]
        glasses = Product.create(
            {"name": "Occhiale", "optical_category": "spectacles", "list_price": 250}
        )
        lenses = Product.create(
            {
                "name": "Lenti a contatto",
                "optical_category": "contact_lens",
                "optical_cl_replacement_days": 30,
                "optical_cl_lenses_per_pack": 6,
            }
        )
        category = {c.code: c for c in env["optical.cycle.category"].search([])}

        def steps3():
            return [
                Command.create(
                    {"name": n, "delay_count": 1, "delay_unit": u, "sms_body": n}
                )
                for n, u in (("w", "weeks"), ("m", "months"), ("y", "years"))
            ]

        specs = [
            (
                "Occhiale correttivo",
                {"optical_categories": [Command.set([category["spectacles"].id])]},
            ),
            (
                "Lenti",
                {"optical_categories": [Command.set([category["contact_lens"].id])]},
            ),
            ("Tutti", {}),
            (
                "Sole",
                {"optical_categories": [Command.set([category["sunglasses"].id])]},
            ),
            ("Prodotto", {"product_ids": [Command.set(glasses.ids)]}),
        ]
        cycles = env["optical.cycle"].create(
            [{"name": name, "step_ids": steps3(), **vals} for name, vals in specs]
        )
        partners = env["res.partner"].create(
            [
                {"name": f"Fattura {i}", "mobile": f"+39 345{i:07d}"}
                for i in range(count * 2)
            ]
        )
        moves = env["account.move"]
        for start in range(0, count * 2, 200):
            moves |= env["account.move"].create(
                [
                    {
                        "move_type": "out_invoice",
                        "partner_id": partner.id,
                        "invoice_date": odoo.fields.Date.today(),
                        "invoice_line_ids": [
                            Command.create(
                                {"product_id": glasses.id, "price_unit": 250}
                            )
                        ]
                        + (
                            [
                                Command.create(
                                    {"product_id": lenses.id, "price_unit": 40}
                                )
                            ]
                            if partner.id % 3 == 0
                            else []
                        ),
                    }
                    for partner in partners[start : start + 200]
                ]
            )
            cr.commit()
        timings = {True: 0.0, False: 0.0}
        cpu = {True: 0.0, False: 0.0}
        # warm-up (caches, first send-window computation) out of the figures
        for move in moves[:20]:
            move.action_post()
        cr.commit()
        moves = moves[20:]
        # small interleaved chunks: whatever else the machine does weighs on both
        chunk = 20
        for index, start in enumerate(range(0, len(moves), chunk)):
            active = index % 2 == 1
            cycles.write({"active": active})
            cr.commit()
            env.invalidate_all()
            t0, c0 = time.perf_counter(), time.process_time()
            for move in moves[start : start + chunk]:
                move.action_post()
                cr.commit()  # one request, one transaction per invoice
            timings[active] += time.perf_counter() - t0
            cpu[active] += time.process_time() - c0
        enrolled = env["optical.cycle.enrollment"].search_count(
            [("cycle_id", "in", cycles.ids)]
        )
        per = {k: v / (len(moves) / 2) * 1000 for k, v in timings.items()}
        per_cpu = {k: v / (len(moves) / 2) * 1000 for k, v in cpu.items()}
        bench(
            f"post {count} invoices, 5 active cycles vs none (ms/invoice, wall)",
            f"{per[True]:.1f}",
            f"{per[False]:.1f}",
            "ratio <= 1.10",
        )
        bench(
            f"post {count} invoices, 5 active cycles vs none (ms/invoice, Odoo CPU)",
            f"{per_cpu[True]:.1f}",
            f"{per_cpu[False]:.1f}",
            "ratio <= 1.10",
        )
        bench("enrollments created while posting", enrolled, "-", "-")
        cr.commit()


def phase_dispatch(db, count):
    """Ours (dispatch cron + SMS queue) against stock SMS Marketing (one mailing
    to the same customers + the same queue), one process, one run."""
    server = start_fake("iap")
    _odoo, reg = registry(db)
    with reg.cursor() as cr:
        env = environment(cr)
        company = prepare_company(env, server.url)
        cycle = sms_cycle(env, "bench dispatch")
        partner_ids = insert_due_customers(cr, company.id, cycle, count, prefix=1)
        cr.commit()
        env.invalidate_all()
        Execution = env["optical.cycle.execution"]
        Sms = env["sms.sms"]

        def drain():
            while Sms.search_count([("state", "=", "outgoing")]):
                Sms._process_queue()
                cr.commit()

        drain()  # nothing left over from another phase
        server.reset()
        t0 = time.perf_counter()
        processed = Execution._optical_dispatch(batch_size=500, max_batches=10**6)
        t_dispatch = time.perf_counter() - t0
        drain()
        ours = time.perf_counter() - t0
        sent_ours = len(server.accepted)
        env.invalidate_all()
        mailing = env["mailing.mailing"].create(
            {
                "subject": "stock bench",
                "mailing_type": "sms",
                "mailing_model_id": env["ir.model"]._get("res.partner").id,
                "mailing_domain": repr([("id", "in", partner_ids)]),
                "body_plaintext": "Buongiorno {{ object.name }}, "
                "la aspettiamo in negozio.",
                "sms_allow_unsubscribe": True,
                "keep_archives": False,
            }
        )
        cr.commit()
        t0 = time.perf_counter()
        mailing.action_send_sms()
        cr.commit()
        drain()
        stock = time.perf_counter() - t0
        sent_stock = len(server.accepted) - sent_ours
        assert processed == count, processed
        assert sent_ours == count and sent_stock == count, (sent_ours, sent_stock)
        bench(
            f"dispatch {count} due SMS incl. sending (s); ref. stock mailing",
            f"{ours:.1f}",
            f"{stock:.1f}",
            "ratio <= 1.5",
        )
        bench(
            f"dispatch {count} due SMS, dispatch cron alone (s)",
            f"{t_dispatch:.1f}",
            "-",
            "-",
        )
    server.stop()


def phase_memory(db, count, prefix):
    """Peak memory of one dispatch run over ``count`` due executions."""
    _odoo, reg = registry(db)
    with reg.cursor() as cr:
        env = environment(cr)
        company = prepare_company(env, None)
        cycle = sms_cycle(env, f"bench memory {count}")
        insert_due_customers(cr, company.id, cycle, count, prefix)
        # only this cycle is due
        cr.execute(
            "UPDATE optical_cycle_execution SET state = 'cancelled', reason = 'manual' "
            "WHERE state = 'scheduled' AND cycle_id != %s",
            [cycle.id],
        )
        cr.commit()
        env.invalidate_all()
        before = peak_mb()
        t0 = time.perf_counter()
        processed = env["optical.cycle.execution"]._optical_dispatch(
            batch_size=500, max_batches=10**6
        )
        elapsed = time.perf_counter() - t0
        assert processed == count, processed
        print(
            json.dumps(
                {
                    "before": before,
                    "peak": peak_mb(),
                    "seconds": elapsed,
                    "count": count,
                }
            ),
            flush=True,
        )


# ---------------------------------------------------------------- main
def run_phase(db, *args):
    proc = subprocess.run(
        [sys.executable, __file__, "--db", db, *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-6000:])
        raise SystemExit(f"phase {args} failed")
    return proc.stdout


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db")
    parser.add_argument("--phase")
    parser.add_argument("--count", type=int, default=0)
    parser.add_argument("--prefix", type=int, default=1)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--sizes", default=scaled("1000,10000,50000", "500,2000"))
    parser.add_argument("--invoices", type=int, default=scaled(1000, 200))
    parser.add_argument("--due", type=int, default=scaled(10000, 1000))
    args = parser.parse_args()
    if args.phase == "post":
        return phase_post(args.db, args.count)
    if args.phase == "dispatch":
        return phase_dispatch(args.db, args.count)
    if args.phase == "memory":
        return phase_memory(args.db, args.count, args.prefix)

    db = args.db or db_name(f"cyc_bench_{os.getpid()}")
    if not args.db:
        install(db, "optical_crm_cycles")
    try:
        for line in run_phase(
            db, "--phase", "post", "--count", args.invoices
        ).splitlines():
            if line.startswith("BENCH"):
                print(line, flush=True)
        for line in run_phase(
            db, "--phase", "dispatch", "--count", args.due
        ).splitlines():
            if line.startswith("BENCH"):
                print(line, flush=True)
        first = None
        for prefix, size in enumerate(int(s) for s in args.sizes.split(",")):
            out = run_phase(
                db, "--phase", "memory", "--count", size, "--prefix", prefix + 2
            )
            data = json.loads(out.strip().splitlines()[-1])
            first = first or (size, data["peak"])
            bench(
                f"dispatch {size} due: peak RSS [MB] (growth during dispatch "
                f"{data['peak'] - data['before']:+.0f}); ref. {first[0]} due",
                f"{data['peak']:.0f}",
                f"{first[1]:.0f}",
                "flat: ratio <= 1.25",
            )
            bench(
                f"dispatch {size} due: executions per second",
                f"{size / data['seconds']:.0f}",
            )
    finally:
        if not args.keep and not args.db:
            drop(db)
    return 0


if __name__ == "__main__":
    sys.exit(main())
