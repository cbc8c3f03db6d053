#!/usr/bin/env python3
"""SMS sending benchmark: our providers against stock Odoo IAP, same run.

Creates a throw-away database with optical_crm_sms, starts the fake providers
(optical_crm_sms/tests/fake_providers.py) as real HTTP servers on 127.0.0.1, each in
its own process, and measures:

* 10,000 personalised SMS from the ``sms.sms`` queue (``_process_queue``, the SMS
  scheduled action) to the fake Skebby-style REST API and to the fake Twilio, every
  message marked in flight (committed) before its call;
* stock Odoo sending the same 10,000 to the fake IAP endpoint (``sms.endpoint``):
  Odoo's own ``sms.sms._send`` (500 per request, nothing marked in flight);
* duplicates received by the fakes, messages lost (not ``pending`` at the end);
* two workers sharing one queue (``FOR NO KEY UPDATE SKIP LOCKED``);
* peak Python memory (tracemalloc) while 1,000, 10,000 and 50,000 SMS are queued
  (bounded caches such as the 2,048-number normalisation cache fill first).

Prints ``BENCH<TAB>figure<TAB>ours<TAB>reference<TAB>target`` lines (run_all.py).
Usage: python3 tests/benchmarks/bench_sms.py [--count 10000] [--memory-count 50000]
(``BENCH_SCALE=small``: 1,000 and 5,000).
"""

import argparse
import json
import multiprocessing
import os
import sys
import time
import tracemalloc
import urllib.request

from common import (
    bench,
    db_name,
    drop,
    environment,
    fake_providers,
    install,
    registry,
    scaled,
    start_fake_process,
)

BODY = (
    "Ciao Cliente {i}, è ora del controllo della vista: prenota da Ottica Rossi "
    "entro fine mese, la visita è gratuita."
)


def fake_call(url, path, data=None):
    req = urllib.request.Request(
        url + path, data=data, method="POST" if data else "GET"
    )
    with urllib.request.urlopen(req, timeout=30) as response:  # noqa: S310
        return json.loads(response.read())


def open_env(db):
    _odoo, reg = registry(db)
    cr = reg.cursor()
    return environment(cr), cr


def setup_companies(env, urls):
    italy = env.ref("base.it")
    skebby_company = env.company
    skebby_company.country_id = italy
    twilio_company = env["res.company"].create(
        {"name": "Ottica Twilio", "country_id": italy.id}
    )
    iap_company = env["res.company"].create(
        {"name": "Ottica IAP", "country_id": italy.id}
    )
    fakes = fake_providers()
    FakeSkebby, FakeTwilio = fakes.FakeSkebby, fakes.FakeTwilio

    provider = env["optical.sms.provider"].create(
        {
            "name": "Skebby",
            "provider_type": "skebby",
            "api_url": urls["skebby"] + "/API/v1.0/REST/",
            "username": FakeSkebby.username,
            "password": FakeSkebby.password,
            "sender": "OtticaRossi",
            "parallel_requests": 12,
            "company_id": skebby_company.id,
        }
    )
    env["optical.sms.provider"].create(
        {
            "name": "Twilio",
            "provider_type": "twilio",
            "api_url": urls["twilio"],
            "account_sid": FakeTwilio.account_sid,
            "auth_token": FakeTwilio.auth_token,
            "sender": "OtticaTw",
            "parallel_requests": 12,
            "company_id": twilio_company.id,
        }
    )
    env["ir.config_parameter"].set_param("sms.endpoint", urls["iap"])
    service = env["iap.service"].search([("technical_name", "=", "sms")], limit=1)
    env["iap.account"].create(
        {"service_id": service.id, "account_token": "bench-token"}
    )
    env.cr.commit()
    return {
        "skebby": skebby_company,
        "twilio": twilio_company,
        "iap": iap_company,
    }, provider


def queue(env, company, count, start=0):
    """Insert ``count`` queued personalised SMS (SQL, fast)."""
    env.cr.execute(
        """
        INSERT INTO sms_sms (uuid, number, body, state, to_delete, optical_company_id,
                             create_uid, write_uid, create_date, write_date)
        SELECT replace(gen_random_uuid()::text, '-', ''),
               '+39333' || lpad(i::text, 7, '0'),
               replace(%s, '{i}', i::text), 'outgoing', false, %s,
               1, 1, now() at time zone 'utc', now() at time zone 'utc'
          FROM generate_series(%s, %s) AS i
        """,
        [BODY, company.id, start + 1, start + count],
    )
    env.cr.commit()


def counts(env, company):
    env.cr.execute(
        "SELECT state, count(*) FROM sms_sms WHERE optical_company_id = %s "
        "GROUP BY state",
        [company.id],
    )
    return dict(env.cr.fetchall())


def drain(env, company):
    """Run the SMS queue (as its scheduled action does) until nothing is due."""
    while True:
        env["sms.sms"]._process_queue()
        env.cr.commit()
        left = counts(env, company)
        if not left.get("outgoing") and not left.get("process"):
            return left


def stock_send(env, company):
    """Stock Odoo: its sms.sms._send (IAP, 500 per request), committed per batch."""
    from odoo.tools import split_every

    from odoo.addons.sms.models.sms_sms import SmsSms as StockSms

    ids = (
        env["sms.sms"]
        .search(
            [("state", "=", "outgoing"), ("optical_company_id", "=", company.id)],
            order="id",
        )
        .ids
    )
    batch_size = int(
        env["ir.config_parameter"].get_param("sms.session.batch.size", 500)
    )
    for batch in split_every(batch_size, ids):
        StockSms._send(
            env["sms.sms"].browse(batch), unlink_failed=False, unlink_sent=True
        )
        env.cr.commit()
    return counts(env, company)


def worker(db, out):
    env, cr = open_env(db)
    try:
        while True:
            env["sms.sms"]._process_queue()
            cr.commit()
            env.cr.execute(
                "SELECT count(*) FROM sms_sms WHERE state IN ('outgoing', 'process')"
            )
            if not env.cr.fetchone()[0]:
                break
        out.put("done")
    finally:
        cr.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=scaled(10000, 1000))
    parser.add_argument("--memory-count", type=int, default=scaled(50000, 5000))
    parser.add_argument("--keep-db", action="store_true")
    options = parser.parse_args()
    db = db_name(f"sms_bench_{os.getpid()}")
    procs = {}
    try:
        sys.stderr.write(f"installing optical_crm_sms in {db}...\n")
        install(db, "optical_crm_sms")
        urls = {}
        for kind in ("skebby", "twilio", "iap"):
            procs[kind], urls[kind] = start_fake_process(kind)
        env, cr = open_env(db)
        companies, _provider = setup_companies(env, urls)
        n = options.count

        # stock Odoo to its (fake) IAP endpoint
        queue(env, companies["iap"], n)
        t0 = time.perf_counter()
        result = stock_send(env, companies["iap"])
        stock_rate = n / (time.perf_counter() - t0)
        iap = fake_call(urls["iap"], "/_fake/stats")
        assert result.get("pending") == n, result

        # Skebby-style REST API, one request per message, in flight first
        queue(env, companies["skebby"], n)
        t0 = time.perf_counter()
        result = drain(env, companies["skebby"])
        skebby_rate = n / (time.perf_counter() - t0)
        skebby = fake_call(urls["skebby"], "/_fake/stats")
        skebby_lost = n - result.get("pending", 0)
        env.cr.execute(
            "SELECT count(*) FROM sms_sms WHERE optical_company_id = %s AND "
            "(optical_attempt_count != 1 OR optical_provider_ref != uuid)",
            [companies["skebby"].id],
        )
        not_in_flight_first = env.cr.fetchone()[0]

        # Twilio Messages API
        queue(env, companies["twilio"], n)
        t0 = time.perf_counter()
        result = drain(env, companies["twilio"])
        twilio_rate = n / (time.perf_counter() - t0)
        twilio = fake_call(urls["twilio"], "/_fake/stats")
        twilio_lost = n - result.get("pending", 0)

        bench("sms stock Odoo IAP (msg/s)", f"{stock_rate:.0f}", "-", "reference")
        bench(
            "sms Skebby-style (msg/s)",
            f"{skebby_rate:.0f}",
            f"{stock_rate:.0f}",
            ">= 1000",
        )
        bench("sms Twilio (msg/s)", f"{twilio_rate:.0f}", f"{stock_rate:.0f}", "-")
        bench("sms Skebby duplicates", skebby["duplicates"], iap["duplicates"], "0")
        bench("sms Twilio duplicates", twilio["duplicates"], iap["duplicates"], "0")
        bench("sms Skebby lost", skebby_lost, "-", "0")
        bench("sms Twilio lost", twilio_lost, "-", "0")
        bench("sms Skebby not marked in flight first", not_in_flight_first, "-", "0")
        bench("sms stock IAP requests", iap["send_requests"], "-", "-")
        bench("sms Skebby requests", skebby["send_requests"], "-", "-")

        # two workers on one queue
        fake_call(urls["skebby"], "/_fake/reset", data=b"{}")
        env.cr.execute("DELETE FROM sms_sms")
        env.cr.commit()
        queue(env, companies["skebby"], n)
        ctx = multiprocessing.get_context("spawn")
        out = ctx.Queue()
        t0 = time.perf_counter()
        workers = [ctx.Process(target=worker, args=(db, out)) for _ in range(2)]
        for proc in workers:
            proc.start()
        for proc in workers:
            proc.join()
        two_rate = n / (time.perf_counter() - t0)
        stats = fake_call(urls["skebby"], "/_fake/stats")
        result = counts(env, companies["skebby"])
        bench(
            "sms Skebby 2 workers (msg/s)", f"{two_rate:.0f}", f"{skebby_rate:.0f}", "-"
        )
        bench("sms Skebby 2 workers duplicates", stats["duplicates"], "-", "0")
        bench("sms Skebby 2 workers lost", n - result.get("pending", 0), "-", "0")

        # memory while 1,000, 10,000 then 50,000 are queued. The number
        # normalisation cache (optical_crm_sms/tools/phone.py, 2,048 numbers) fills
        # up first: flat means no growth beyond it, 10,000 against 50,000.
        peaks = {}
        sizes = sorted({1000, min(10000, options.memory_count), options.memory_count})
        for size in sizes:
            env.cr.execute("DELETE FROM sms_sms")
            env.cr.commit()
            queue(env, companies["skebby"], size)
            env.invalidate_all()
            tracemalloc.start()
            drain(env, companies["skebby"])
            peaks[size] = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        bench("sms peak memory, 1,000 queued (MiB)", f"{peaks[1000]:.1f}", "-", "-")
        middle = sizes[-2] if len(sizes) > 1 else sizes[0]
        for size in sizes[1:]:
            bench(
                f"sms peak memory, {size:,} queued (MiB); ref. {middle:,} queued"
                if size != middle
                else f"sms peak memory, {size:,} queued (MiB)",
                f"{peaks[size]:.1f}",
                f"{peaks[middle]:.1f}" if size != middle else "-",
                "flat: ratio <= 1.25" if size != middle else "-",
            )
        cr.close()
    finally:
        for proc in procs.values():
            proc.terminate()
        if not options.keep_db:
            drop(db)
    return 0


if __name__ == "__main__":
    sys.exit(main())
