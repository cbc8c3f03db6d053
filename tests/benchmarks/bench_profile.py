#!/usr/bin/env python3
"""Optical profile benchmark.

1. Two throw-away databases without demo data: ``<prefix>_ours`` with the three
   Optical CRM addons, ``<prefix>_ref`` with only their dependencies (account,
   contacts, mass_mailing_sms, phone_validation): the same database without our
   addons.
2. Both get the same scale data from ``data/generate_profile_bench.py``: 100,000
   partners and 300,000 posted invoice lines (plus exams, prescriptions and
   touchpoints in ours).
3. Full recompute: ``res.partner._optical_refresh_profile()`` for every partner,
   from empty figures (every row written), then again (nothing changes).
4. Posting overhead: draft invoices (3 lines: frame, lenses, contact lenses) for
   customers with history are posted one by one, each in its own transaction
   (``action_post()`` + commit, what a user waits for), alternating between the
   two databases so that machine noise hits both alike; medians are compared.

    python3 tests/benchmarks/bench_profile.py [--partners N] [--lines N]
        [--posts N] [--keep]

Figures are printed as ``BENCH<TAB>figure<TAB>ours<TAB>reference<TAB>target``.
Environment: BENCH_DB_PREFIX (before the databases' names), BENCH_SCALE, PGUSER.
"""

import argparse
import statistics
import sys
import time

from common import (
    OUR_ADDONS,
    bench,
    configure,
    db_name,
    drop,
    environment,
    install,
    instrument_hooks,
    post_one,
    scaled,
)

DEPENDENCIES = "account,contacts,mass_mailing_sms,phone_validation"


def log(message):
    print(f"[bench_profile] {message}", file=sys.stderr, flush=True)


def prepare(registry, partners, lines, posts):
    """Scale data, then draft invoices to post; returns the draft ids."""
    from data import generate_profile_bench

    with registry.cursor() as cr:
        env = environment(cr)
        if not env.company.chart_template:
            env["account.chart.template"].try_loading(
                "generic_coa", env.company, install_demo=False
            )
        created = generate_profile_bench.generate(env, partners=partners, lines=lines)
        log(f"{registry.db_name}: {created}")
        cr.commit()
    return make_drafts(registry, posts)


def make_drafts(registry, count):
    """Draft invoices (frame, lenses, contact lenses) for customers with history,
    the same customers in both databases; returns their ids."""
    with registry.cursor() as cr:
        env = environment(cr)
        products = env["product.product"].search(
            [
                (
                    "name",
                    "in",
                    (
                        "Bench frame",
                        "Bench single vision lens",
                        "Bench monthly lenses 6",
                    ),
                )
            ]
        )
        cr.execute(
            "SELECT id FROM res_partner WHERE name LIKE 'Bench Customer %%' "
            "ORDER BY id LIMIT %s",
            [count],
        )
        partner_ids = [row[0] for row in cr.fetchall()]
        moves = env["account.move"].create(
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": partner_id,
                    "invoice_line_ids": [
                        (0, 0, {"product_id": product.id, "quantity": 2})
                        for product in products
                    ],
                }
                for partner_id in partner_ids
            ]
        )
        cr.commit()
        return moves.ids


def full_recompute(registry):
    with registry.cursor() as cr:
        env = environment(cr)
        cr.execute(
            "UPDATE res_partner SET optical_ltv = NULL, optical_last_purchase_date "
            "= NULL, optical_cl_runout_date = NULL, optical_last_exam_date = NULL, "
            "optical_next_exam_date = NULL, optical_last_prescription_date = NULL"
        )
        cr.commit()
    timings = []
    for _run in range(2):
        with registry.cursor() as cr:
            env = environment(cr)
            started = time.perf_counter()
            env["res.partner"]._optical_refresh_profile()
            cr.commit()
            timings.append(time.perf_counter() - started)
    with registry.cursor() as cr:
        # per shop figures (company-dependent jsonb): a figure in any shop counts
        cr.execute(
            "SELECT count(*) FILTER (WHERE optical_ltv IS NOT NULL), "
            "count(*) FILTER (WHERE optical_cl_runout_date IS NOT NULL), "
            "count(*) FILTER (WHERE optical_next_exam_date IS NOT NULL) "
            "FROM res_partner"
        )
        log("partners with value, contact lenses, recall: %s" % (cr.fetchone(),))
    return timings


def one_partner_refresh(registry, samples=50):
    timings = []
    with registry.cursor() as cr:
        env = environment(cr)
        cr.execute(
            "SELECT id FROM res_partner WHERE name LIKE 'Bench Customer %%' "
            "ORDER BY id DESC LIMIT %s",
            [samples],
        )
        for (partner_id,) in cr.fetchall():
            started = time.perf_counter()
            env["res.partner"]._optical_refresh_profile([partner_id])
            timings.append(time.perf_counter() - started)
        cr.rollback()
    return statistics.median(timings)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--partners", type=int, default=scaled(100_000, 5_000))
    parser.add_argument("--lines", type=int, default=scaled(300_000, 15_000))
    parser.add_argument("--posts", type=int, default=scaled(200, 20))
    parser.add_argument("--warmup", type=int, default=8)
    parser.add_argument(
        "--reference-modules",
        default=DEPENDENCIES,
        help="modules of the reference database (default: our dependencies)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="reuse the databases kept by --keep (no install, no scale data); "
        "the same first customers get the new invoices, so their history, and "
        "the cost of refreshing their profile, grows with each reuse",
    )
    args = parser.parse_args()
    prefix = db_name("bench_profile")
    ours_db, ref_db = f"{prefix}_ours", f"{prefix}_ref"
    if not args.reuse:
        install(ours_db, OUR_ADDONS, log=log)
        install(ref_db, args.reference_modules, log=log)

    configure()
    from odoo.modules.registry import Registry

    try:
        registries = {db: Registry(db) for db in (ours_db, ref_db)}
        total = args.posts + args.warmup
        if args.reuse:
            drafts = {db: make_drafts(registries[db], total) for db in registries}
        else:
            drafts = {
                db: prepare(registries[db], args.partners, args.lines, total)
                for db in registries
            }
        recompute = full_recompute(registries[ours_db])
        one = one_partner_refresh(registries[ours_db])
        hooks = instrument_hooks(
            registries[ours_db],
            (
                ("account.move", "_optical_record_touchpoints"),
                ("res.partner", "_optical_refresh_profile"),
            ),
        )
        timings = {ours_db: [], ref_db: []}
        for index in range(total):
            order = (ours_db, ref_db) if index % 2 == 0 else (ref_db, ours_db)
            hooks["current"] = 0.0
            for db in order:
                elapsed = post_one(registries[db], drafts[db][index])
                if index >= args.warmup:
                    timings[db].append(elapsed)
            if index >= args.warmup:
                hooks["per_post"].append(hooks["current"])
        ours, ref = timings[ours_db], timings[ref_db]
        ours_ms = statistics.median(ours) * 1000
        ref_ms = statistics.median(ref) * 1000
        paired = statistics.median(a / b for a, b in zip(ours, ref, strict=True))
        hook_ms = statistics.median(hooks["per_post"]) * 1000
        label = f"{args.partners:,} partners, {args.lines:,} invoice lines"
        bench(
            f"profile full recompute, every row written [s] ({label})",
            f"{recompute[0]:.1f}",
            "-",
            "< 60",
        )
        bench(
            "profile full recompute, nothing changed [s]",
            f"{recompute[1]:.1f}",
            "-",
            "< 60",
        )
        bench("profile refresh of one partner [ms]", f"{one * 1000:.1f}")
        bench(
            f"post one invoice, median of {args.posts} [ms] (ref. the same "
            f"database without our addons: {args.reference_modules})",
            f"{ours_ms:.1f}",
            f"{ref_ms:.1f}",
            "ratio <= 1.10",
        )
        bench(
            "posting overhead ratio, median of paired posts",
            f"{paired:.3f}",
            "-",
            "<= 1.10",
        )
        bench(
            "posting: time in Optical CRM hooks, median [ms] (touchpoint + "
            "profile); ref. the rest of the post",
            f"{hook_ms:.1f}",
            f"{ours_ms - hook_ms:.1f}",
        )
        log(
            "post ms ours p25/p50/p75 %s, ref %s"
            % (
                [round(q * 1000, 1) for q in statistics.quantiles(ours, n=4)],
                [round(q * 1000, 1) for q in statistics.quantiles(ref, n=4)],
            )
        )
    finally:
        Registry.delete_all()
        if not args.keep:
            for db in (ours_db, ref_db):
                drop(db)
    return 0


if __name__ == "__main__":
    sys.exit(main())
