#!/usr/bin/env python3
"""Benchmark: a 10,000-customer SMS campaign against stock SMS Marketing.

In a throw-away database (optical_crm installed, no demo data), with a loopback
fake of Odoo's IAP SMS endpoint (JSON-RPC ``/api/sms/3/send``, ICP
``sms.endpoint``):

* stock: one SMS Marketing mailing to the 10,000 customers, as the mailing queue
  sends it (``action_launch``, the mass mailing queue, then the SMS queue);
* ours: a campaign to the same 10,000 (segment, contact policy at schedule and at
  send time, rendering, traces, message log, queue), from ``action_schedule``
  through the campaigns' scheduled action and the SMS queue.

Both with the same text, opt-out link and send options; the stock mailing is
measured with "keep an archive" off (same work as a campaign, whose timeline is
the message log) and, for reference, with Odoo's SMS default (on). Then 90,000
more customers (with invoices) are added and a segment is counted on the 100,000.

Prints ``BENCH`` lines (see run_all.py). Usage: bench_campaign.py [--customers N]
[--total N] [--keep]; ``BENCH_SCALE=small``: 1,000 customers, 5,000 in all.
"""

import argparse
import os
import statistics
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

from data.optical_scale import insert_customers, insert_invoices

BODY = (
    "Ciao {{ object.optical_first_name }}, a settembre si torna a scuola: "
    "controllo della vista da {{ object.optical_shop_name }}!"
)


def drain_sms_queue(env, mailing):
    """Hand every queued SMS of ``mailing`` to the provider (the SMS cron's job)."""
    Sms = env["sms.sms"].sudo()
    while Sms.search_count(
        [("mailing_id", "=", mailing.id), ("state", "=", "outgoing")]
    ):
        Sms._process_queue()
        env.cr.commit()
        env.invalidate_all()


def stock_send(env, partner_ids, keep_archives):
    mailing = (
        env["mailing.mailing"]
        .with_context(default_mailing_type="sms")
        .create(
            {
                "subject": f"Stock {keep_archives}",
                "mailing_type": "sms",
                "mailing_model_id": env["ir.model"]._get_id("res.partner"),
                "mailing_domain": repr([("id", "in", partner_ids)]),
                "body_plaintext": BODY,
                "sms_allow_unsubscribe": True,
                "keep_archives": keep_archives,
            }
        )
    )
    env.cr.commit()
    start = time.perf_counter()
    mailing.action_launch()
    env["mailing.mailing"]._process_mass_mailing_queue()
    env.cr.commit()
    prepared = time.perf_counter()
    drain_sms_queue(env, mailing)
    end = time.perf_counter()
    return mailing, prepared - start, end - start


def campaign_send(env, tag):
    segment = env["optical.segment"].create(
        {
            "name": f"Bench {tag}",
            "consent_channel": "sms",
            "domain": repr([("ref", "=", tag)]),
        }
    )
    campaign = env["optical.campaign"].create(
        {"name": f"Bench {tag}", "segment_id": segment.id, "sms_body": BODY}
    )
    env.cr.commit()
    start = time.perf_counter()
    campaign.action_schedule()
    env.cr.commit()
    env["optical.campaign"]._cron_send()
    env.cr.commit()
    prepared = time.perf_counter()
    drain_sms_queue(env, campaign.mailing_id)
    end = time.perf_counter()
    return campaign, prepared - start, end - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=scaled(10_000, 1_000))
    parser.add_argument("--total", type=int, default=scaled(100_000, 5_000))
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()

    db = db_name(f"camp_bench_{os.getpid()}")
    print(f"# database {db}: installing optical_crm", flush=True)
    install(db, "optical_crm")
    fake = start_fake("iap")
    try:
        _odoo, reg = registry(db)
        with reg.cursor() as cr:
            env = environment(cr)
            env["ir.config_parameter"].set_param("sms.endpoint", fake.url)
            open_all_hours(env.company, cap=True)
            company = env.company
            # warm-up (caches, registry) on a few customers, both ways
            warm = insert_customers(
                cr, 200, tag="warm", company_id=company.id, first=0, consent_share=1.0
            )
            cr.commit()
            stock_send(env, warm, keep_archives=False)
            campaign_send(env, "warm")

            # everybody consents: both send the same number of SMS
            ids = insert_customers(
                cr,
                args.customers,
                tag="bench",
                company_id=company.id,
                first=10_000,
                consent_share=1.0,
            )
            cr.commit()
            received = len(fake.accepted)
            mailing, stock_prep, stock_total = stock_send(env, ids, keep_archives=False)
            stock_sent = len(fake.accepted) - received
            received = len(fake.accepted)
            campaign, ours_prep, ours_total = campaign_send(env, "bench")
            ours_sent = len(fake.accepted) - received
            received = len(fake.accepted)
            _mailing, archive_prep, archive_total = stock_send(
                env, ids, keep_archives=True
            )
            print(
                f"# {len(ids)} customers; stock sent {stock_sent} SMS "
                f"({stock_prep:.2f} s preparing), campaign sent {ours_sent} "
                f"({ours_prep:.2f} s screening, rendering, queueing), "
                f"{campaign.excluded_count} excluded by the policy, "
                f"{campaign.control_count} control; stock with archives "
                f"{archive_total:.2f} s ({archive_prep:.2f} s preparing)",
                flush=True,
            )
            bench(
                f"SMS campaign, {len(ids)} customers, end to end [s] "
                "(ref. stock SMS Marketing mailing)",
                f"{ours_total:.2f}",
                f"{stock_total:.2f}",
                "ratio <= 1.25",
            )
            bench(
                f"stock SMS mailing with archives (Odoo default), {len(ids)} "
                "customers [s]",
                f"{archive_total:.2f}",
            )

            # the segment count on the full customer base
            more = args.total - args.customers - len(warm)
            extra = insert_customers(
                cr, more, tag="more", company_id=company.id, first=100_000
            )
            insert_invoices(cr, ids + extra, company_id=company.id)
            cr.execute("ANALYZE")
            cr.commit()
            segment = env["optical.segment"].create(
                {
                    "name": "Bench count",
                    "age_min": 18,
                    "age_max": 80,
                    "bought_category": "spectacles",
                    "bought_months": 36,
                    "not_bought_category": "sunglasses",
                    "not_bought_months": 24,
                    "exam_filter": "due_or_overdue",
                    "exam_due_days": 60,
                    "consent_channel": "sms",
                }
            )
            partners = env["res.partner"].search_count([])
            timings = []
            for _run in range(5):
                env.invalidate_all()
                start = time.perf_counter()
                count = segment._optical_count()
                timings.append(time.perf_counter() - start)
            print(
                f"# {partners} partners, segment of {count}: "
                + ", ".join(f"{t * 1000:.0f} ms" for t in timings),
                flush=True,
            )
            bench(
                f"segment count on {partners} partners, 6 criteria, median of 5 [s]",
                f"{statistics.median(timings):.3f}",
                "-",
                "< 1",
            )
            cr.commit()
    finally:
        fake.stop()
        if not args.keep:
            drop(db)
    return 0


if __name__ == "__main__":
    sys.exit(main())
