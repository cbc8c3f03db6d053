#!/usr/bin/env python3
"""Customer value at scale: nightly refresh and shop dashboard figures.

Creates a throw-away database, installs optical_crm (no demo data), generates
100,000 customers and 300,000 invoice lines over 5 years in two shops (plus
100,000 sent messages and 30,000 eye exams) with ``data/generate_scale.py``, then
times, on the shop with the most customers:

* the nightly refresh (scheduled action: every shop, one transaction each), on an
  empty value table and again on a filled one (target < 60 s);
* the incremental refresh of one customer (what posting an invoice costs);
* each dashboard figure (target < 1 s), the whole dashboard, the recall lists and
  one customer's timeline.

Prints ``BENCH<TAB>figure<TAB>ours<TAB>reference<TAB>target`` lines. Options:
``--partners N --lines N`` (smaller runs), ``--keep`` (do not drop the database).
"""

import argparse
import os
import statistics
import subprocess
import time

from common import bench, db_name, drop, environment, registry, scaled
from common import install as install_addons


def timed(label, func, target="< 1", runs=3):
    """Time ``func`` (median of ``runs``) and print its figure in seconds."""
    times = []
    result = None
    for _ in range(runs):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    bench(f"{label} [s]", f"{statistics.median(times):.3f}", "-", target)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=scaled(100_000, 5_000))
    parser.add_argument("--lines", type=int, default=scaled(300_000, 15_000))
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--db", default=db_name(f"bench_value_{os.getpid()}"))
    parser.add_argument(
        "--template",
        help="copy this database (optical_crm installed, no data) instead of "
        "installing optical_crm",
    )
    args = parser.parse_args()
    db = args.db
    if args.template:
        drop(db)
        subprocess.run(["createdb", "-T", args.template, db], check=True)
    try:
        if not args.template:
            print(
                f"# installed optical_crm in {install_addons(db, 'optical_crm'):.0f} s"
            )
        run(db, args)
    finally:
        if not args.keep:
            drop(db)


def run(db, args):
    from data.generate_scale import generate

    odoo, reg = registry(db)
    with reg.cursor() as cr:
        env = environment(cr)
        start = time.perf_counter()
        stats = generate(env, partners=args.partners, invoice_lines=args.lines)
        cr.commit()
        print(f"# generated in {time.perf_counter() - start:.0f} s: {stats['counts']}")
        print(
            "# generation steps (s): "
            + ", ".join(f"{k} {v:.1f}" for k, v in stats["timings"].items())
        )
        bench("value: invoice lines generated", stats["counts"]["invoice_lines"])

        Value = env["optical.customer.value"]
        timed(
            "value: nightly refresh, empty table (all shops)",
            Value._optical_cron_refresh_value,
            target="< 60",
            runs=1,
        )
        timed(
            "value: nightly refresh, again (all shops)",
            Value._optical_cron_refresh_value,
            target="< 60",
            runs=1,
        )
        cr.execute(
            "SELECT company_id, COUNT(*) FROM optical_customer_value "
            "GROUP BY company_id ORDER BY 2 DESC"
        )
        shop_rows = cr.fetchall()
        print(f"# value rows per shop: {shop_rows}")
        company = env["res.company"].browse(shop_rows[0][0])
        cr.execute(
            "SELECT partner_id FROM optical_customer_value WHERE company_id = %s "
            "ORDER BY purchase_count DESC, partner_id LIMIT 1",
            (company.id,),
        )
        partner_id = cr.fetchone()[0]
        timed(
            "value: incremental refresh of one customer",
            lambda: Value._optical_refresh_value(
                partner_ids=[partner_id], company_ids=company.ids
            ),
            target="< 0.2",
        )
        cr.commit()

        Dashboard = env["optical.value.dashboard"].with_company(company)
        for name in (
            "active",
            "new",
            "lapsed",
            "exam_due_month",
            "cl_runout",
            "retention",
            "cohorts",
            "attribution",
            "segments",
        ):
            result = timed(
                f"dashboard: {name}",
                lambda name=name: Dashboard._optical_figure(name, company),
            )
            if isinstance(result, dict) and "value" in result:
                print(f"#   {name} = {result['value']}")
        timed(
            "dashboard: every figure (one call)",
            Dashboard.optical_dashboard_data,
            target="< 5",
        )
        # the one attribution rule, read by campaign and cycle step results
        Log = env["optical.contact.log"]
        timed(
            "attribution: one campaign (results refresh)",
            lambda: Log._optical_attribution("optical.campaign", [1]),
        )
        timed(
            "attribution: 41 campaigns at once",
            lambda: Log._optical_attribution("optical.campaign", list(range(1, 42))),
            target="< 5",
        )
        for xmlid in ("exam", "cl_runout", "lapsed"):
            segment = env.ref(f"optical_crm.optical_segment_recall_{xmlid}")
            count = timed(
                f"recall segment: {xmlid}, count",
                lambda segment=segment: segment._optical_count(company),
            )
            print(f"#   {xmlid} = {count}")
        Partner = env["res.partner"].with_context(allowed_company_ids=company.ids)
        for key in ("exam_due", "cl_runout", "lapsed", f"segment:{company.id}:at_risk"):
            timed(
                f"recall list: {key.split(':')[0]} (first page of 80)",
                lambda key=key: Partner.search(
                    [("optical_audience", "=", key)], limit=80
                ).mapped("name"),
            )
        Timeline = env["optical.customer.timeline"].with_context(
            allowed_company_ids=stats["companies"]
        )
        partner = env["res.partner"].browse(partner_id)
        timed(
            "timeline: one customer (search + read)",
            lambda: Timeline.search_read(
                partner.action_optical_timeline()["domain"],
                ["datetime", "kind", "channel", "summary", "outcome", "amount"],
                limit=80,
            ),
        )
        cr.rollback()
    odoo.sql_db.close_db(db)


if __name__ == "__main__":
    main()
