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
"""

import argparse
import getpass
import json
import os
import resource
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE / "data"))


# ---------------------------------------------------------------- fake IAP SMS
class _FakeIap(BaseHTTPRequestHandler):
    """Odoo IAP's JSON-RPC /api/sms/3/send: every number accepted."""

    def do_POST(self):  # noqa: N802
        payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        result = []
        for message in payload["params"]["messages"]:
            for number in message["numbers"]:
                result.append({"uuid": number["uuid"], "state": "success", "credit": 1})
        self.server.count += len(result)
        body = json.dumps({"jsonrpc": "2.0", "id": payload["id"], "result": result})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        pass


def start_fake():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeIap)
    server.count = 0
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


# ---------------------------------------------------------------- helpers
def odoo_path():
    import odoo

    return Path(odoo.__file__).resolve().parent.parent


def addons_path():
    root = odoo_path()
    return f"{root}/odoo/addons,{root}/addons,{REPO}"


def db_args():
    args = [f"--db_user={os.environ.get('PGUSER') or getpass.getuser()}"]
    if os.environ.get("PGHOST"):
        args.append(f"--db_host={os.environ['PGHOST']}")
    if os.environ.get("PGPORT"):
        args.append(f"--db_port={os.environ['PGPORT']}")
    return args


def registry(db):
    import odoo
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(
        ["-d", db, f"--addons-path={addons_path()}", "--log-level=warn"] + db_args()
    )
    return odoo, Registry(db)


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench(figure, ours, reference, target):
    print(f"BENCH\t{figure}\t{ours}\t{reference}\t{target}", flush=True)


def prepare_company(env, endpoint):
    from odoo import Command

    company = env.company
    calendar = env["resource.calendar"].create(
        {
            "name": "bench: always open",
            "tz": "Europe/Rome",
            "attendance_ids": [
                Command.create(
                    {"name": str(d), "dayofweek": str(d), "hour_from": 0, "hour_to": 24}
                )
                for d in range(7)
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
    if endpoint:
        env["ir.config_parameter"].set_param("sms.endpoint", endpoint)
    env["iap.account"].get("sms")
    return company


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
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
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
    server, endpoint = start_fake()
    odoo, reg = registry(db)
    sys.path.insert(0, str(HERE / "data"))
    from cycles_data import insert_due_customers

    with reg.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        company = prepare_company(env, endpoint)
        cycle = sms_cycle(env, "bench dispatch")
        partner_ids = insert_due_customers(
            cr, company.id, cycle.id, cycle.step_ids.id, count, prefix=1
        )
        cr.commit()
        env.invalidate_all()
        Execution = env["optical.cycle.execution"]
        Sms = env["sms.sms"]

        def drain():
            while Sms.search_count([("state", "=", "outgoing")]):
                Sms._process_queue()
                cr.commit()

        drain()  # nothing left over from another phase
        server.count = 0
        t0 = time.perf_counter()
        processed = Execution._optical_dispatch(batch_size=500, max_batches=10**6)
        t_dispatch = time.perf_counter() - t0
        drain()
        ours = time.perf_counter() - t0
        sent_ours = server.count
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
        sent_stock = server.count - sent_ours
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
    server.shutdown()


def phase_memory(db, count, prefix):
    """Peak memory of one dispatch run over ``count`` due executions."""
    odoo, reg = registry(db)
    from cycles_data import insert_due_customers

    with reg.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        company = prepare_company(env, None)
        cycle = sms_cycle(env, f"bench memory {count}")
        insert_due_customers(cr, company.id, cycle.id, cycle.step_ids.id, count, prefix)
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
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--invoices", type=int, default=1000)
    parser.add_argument("--due", type=int, default=10000)
    args = parser.parse_args()
    if args.phase == "post":
        return phase_post(args.db, args.count)
    if args.phase == "dispatch":
        return phase_dispatch(args.db, args.count)
    if args.phase == "memory":
        return phase_memory(args.db, args.count, args.prefix)

    db = args.db or f"cyc_bench_{os.getpid()}"
    root = odoo_path()
    if not args.db:
        subprocess.run(["createdb", db], check=True)
    try:
        if not args.db:
            subprocess.run(
                [
                    sys.executable,
                    str(root / "odoo-bin"),
                    "-d",
                    db,
                    f"--addons-path={addons_path()}",
                    "-i",
                    "optical_crm_cycles",
                    "--without-demo=all",
                    "--stop-after-init",
                    "--max-cron-threads=0",
                    "--no-http",
                    "--log-level=warn",
                    *db_args(),
                ],
                check=True,
                capture_output=True,
            )
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
        for prefix, size in enumerate(int(s) for s in args.sizes.split(",")):
            out = run_phase(
                db, "--phase", "memory", "--count", size, "--prefix", prefix + 2
            )
            data = json.loads(out.strip().splitlines()[-1])
            bench(
                f"dispatch {size} due: peak RSS MB (growth during dispatch)",
                f"{data['peak']:.0f} (+{data['peak'] - data['before']:.0f})",
                "-",
                "flat across sizes",
            )
            bench(
                f"dispatch {size} due: executions per second",
                f"{size / data['seconds']:.0f}",
                "-",
                "-",
            )
    finally:
        if not args.keep and not args.db:
            subprocess.run(["dropdb", "--if-exists", db], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
