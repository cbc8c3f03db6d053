#!/usr/bin/env python3
"""Sales ledger benchmark (optical.sale.line: every sale, whatever its document).

1. Two throw-away databases without demo data: ``<prefix>_ours`` with the
   Optical CRM addons, ``<prefix>_ref`` with only their dependencies: the same
   database without our addons. When the repository has the point-of-sale
   bridge (``optical_crm_pos``), both get ``point_of_sale`` too, and ours the
   bridge (``--pos yes`` installs ``point_of_sale`` even without the bridge, to
   time the orders; ``--pos no`` leaves it out).
2. Both get the same scale data through set-based SQL: 100,000 customers and
   300,000 sale lines: posted invoices and credit notes
   (``data/generate_profile_bench.py``), a third of the invoices turned into
   sales receipts, paid point-of-sale orders (when ``point_of_sale`` is there)
   and, in ours, purchases recorded without document (imported and sent by
   another system's API, two lines per document).
3. (a) Full rebuild of the ledger, ``optical.sale.line._optical_rebuild()``,
   repeated: median and spread (target < 15 s at full scale).
4. (b) Posting: draft customer invoices and sales receipts (the same three
   lines) for customers with history, posted one by one, each in its own
   transaction (``action_post()`` + commit), alternating kinds and databases so
   that machine noise hits all alike: a receipt costs what an invoice costs, and
   our addons add at most 10% to either.
5. (c) Point of sale (when installed): an order paid and validated as the POS
   sends it (``pos.order.sync_from_ui``) in an open session, alternating
   databases; our addons add at most 10%.

    python3 tests/benchmarks/bench_ledger.py [--partners N] [--lines N]
        [--runs N] [--posts N] [--orders N] [--pos auto|yes|no] [--keep]

Figures are printed as ``BENCH<TAB>figure<TAB>ours<TAB>reference<TAB>target``;
medians come with their spread in brackets (min-max of the rebuilds, p25-p75
of the posts). Environment: BENCH_DB_PREFIX, BENCH_SCALE, BENCH_ONLY, PGUSER.
"""

import argparse
import statistics
import subprocess
import sys
import time
import uuid

from common import (
    OUR_ADDONS,
    REPO,
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
BRIDGE = "optical_crm_pos"
# share of the sale lines per source (the rest: invoices, receipts, refunds)
TOUCHPOINT_SHARE = 0.2
POS_SHARE = 0.1
PRODUCT_NAMES = ("Bench frame", "Bench single vision lens", "Bench monthly lenses 6")


def log(message):
    print(f"[bench_ledger] {message}", file=sys.stderr, flush=True)


def spread(values, scale=1.0, digits=1):
    """``median [low-high]``: min-max for a few runs, p25-p75 for many."""
    values = [v * scale for v in values]
    if len(values) >= 8:
        quartiles = statistics.quantiles(values, n=4)
        low, high = quartiles[0], quartiles[2]
    else:
        low, high = min(values), max(values)
    return (
        f"{statistics.median(values):.{digits}f} [{low:.{digits}f}-{high:.{digits}f}]"
    )


# ---------------------------------------------------------------------- data
def bench_customers(cr):
    cr.execute(
        "SELECT MIN(id), COUNT(*) FROM res_partner WHERE name LIKE %s",
        ["Bench Customer %"],
    )
    return cr.fetchone()


def bench_products(env):
    """``[(id, price)]`` of the generator's products."""
    env.cr.execute(
        "SELECT p.id, t.list_price FROM product_product p "
        "JOIN product_template t ON t.id = p.product_tmpl_id "
        "WHERE t.name->>'en_US' LIKE %s ORDER BY p.id",
        ["Bench %"],
    )
    return env.cr.fetchall()


def to_receipts(cr):
    """A third of the generated invoices (none that a credit note reverses)
    become sales receipts, as if the shop had issued receipts for them."""
    cr.execute(
        """
        UPDATE account_move m SET move_type = 'out_receipt'
         WHERE m.move_type = 'out_invoice' AND m.name LIKE 'INV/%%'
           AND m.id %% %s = 0
           AND NOT EXISTS (SELECT 1 FROM account_move r
                            WHERE r.reversed_entry_id = m.id)
        """,
        [3],
    )
    return cr.rowcount


def purchase_touchpoints(env, lines):
    """Purchases recorded without Odoo document: two lines per document, half
    imported (source ``import``), half sent by a till's API (``till``)."""
    cr = env.cr
    first, count = bench_customers(cr)
    products = bench_products(env)
    product_case = " ".join(
        f"WHEN {i} THEN {pid}" for i, (pid, _price) in enumerate(products)
    )
    price_case = " ".join(
        f"WHEN {i} THEN {price}" for i, (_pid, price) in enumerate(products)
    )
    cr.execute(
        f"""
        WITH doc AS (
            SELECT d, %(first)s + floor(random() * %(count)s)::int AS partner_id,
                   CURRENT_DATE - floor(random() * 365 * 3)::int - 1 AS day,
                   CASE WHEN d %% 2 = 0 THEN 'import' ELSE 'till' END AS source
              FROM generate_series(1, %(docs)s) d
        ), line AS (
            SELECT doc.*, n, floor(random() * %(products)s)::int AS k,
                   1 + floor(random() * 3)::int AS qty
              FROM doc CROSS JOIN generate_series(1, 2) n
        )
        INSERT INTO optical_touchpoint (
            partner_id, datetime, channel, kind, summary, source, external_ref,
            document_ref, company_id, product_id, optical_category, quantity,
            amount, create_date, write_date, create_uid, write_uid)
        SELECT line.partner_id, line.day + time '11:00', 'store', 'purchase',
               'Bench purchase', line.source, 'BT-' || line.d || '#' || line.n,
               'BT-' || line.d, %(company)s, pr.id, t.optical_category,
               line.qty, line.qty * (CASE line.k {price_case} END),
               now(), now(), 1, 1
          FROM line
          JOIN product_product pr ON pr.id = (CASE line.k {product_case} END)
          JOIN product_template t ON t.id = pr.product_tmpl_id
        """,
        {
            "first": first,
            "count": count,
            "docs": lines // 2,
            "products": len(products),
            "company": env.company.id,
        },
    )
    return cr.rowcount


def pos_setup(env):
    """A point of sale for the bench shop; returns the config."""
    config = env["pos.config"].search([("name", "=", "Bench shop")], limit=1)
    return config or env["pos.config"].create({"name": "Bench shop"})


def open_session(config):
    session = config.env["pos.session"].create(
        {"config_id": config.id, "user_id": config.env.uid}
    )
    session.set_opening_control(0, None)
    return session


def pos_orders(env, lines, refund_ratio=0.03):
    """Paid point-of-sale orders of the past (2.5 lines each), in a session
    closed since, and refunds of a few of them; the same in both databases."""
    cr = env.cr
    config = pos_setup(env)
    session = open_session(config)
    env.flush_all()
    first, count = bench_customers(cr)
    products = bench_products(env)
    product_case = " ".join(
        f"WHEN {i} THEN {pid}" for i, (pid, _price) in enumerate(products)
    )
    price_case = " ".join(
        f"WHEN {i} THEN {price}" for i, (_pid, price) in enumerate(products)
    )
    orders = int(lines / 2.5)
    cr.execute("SELECT setseed(0.17)")
    cr.execute(
        f"""
        CREATE TEMP TABLE bench_pos_line ON COMMIT DROP AS
        SELECT g AS line, g %% %(orders)s + 1 AS order_n,
               floor(random() * %(products)s)::int AS k,
               1 + floor(random() * 3)::int AS qty
          FROM generate_series(0, %(lines)s - 1) g;
        ALTER TABLE bench_pos_line ADD COLUMN product_id int,
                                   ADD COLUMN price numeric;
        UPDATE bench_pos_line SET product_id = CASE k {product_case} END,
                                  price = CASE k {price_case} END;
        CREATE TEMP TABLE bench_pos_order ON COMMIT DROP AS
        SELECT o AS n, %(first)s + floor(random() * %(count)s)::int AS partner_id,
               (CURRENT_DATE - floor(random() * 365 * 3)::int - 1)
                   + time '10:00' + (o %% 480) * interval '1 minute' AS moment
          FROM generate_series(1, %(orders)s) o;
        """,
        {
            "orders": orders,
            "products": len(products),
            "lines": lines,
            "first": first,
            "count": count,
        },
    )
    values = {
        "session": session.id,
        "config": config.id,
        "company": env.company.id,
        "journal": config.journal_id.id or None,
        "pricelist": config.pricelist_id.id or None,
        "uid": env.uid,
        "ratio": refund_ratio,
    }
    cr.execute(
        """
        INSERT INTO pos_order (
            name, pos_reference, uuid, session_id, config_id, company_id,
            sale_journal, pricelist_id, partner_id, user_id, date_order,
            sequence_number, state, amount_tax, amount_total, amount_paid,
            amount_return, currency_rate, create_date, write_date, create_uid,
            write_uid)
        SELECT 'Bench POS/' || lpad(o.n::text, 7, '0'),
               'Order ' || lpad(o.n::text, 7, '0'), md5('bench-pos-' || o.n),
               %(session)s, %(config)s, %(company)s, %(journal)s, %(pricelist)s,
               o.partner_id, %(uid)s, o.moment, o.n, 'done', 0, t.total, t.total,
               0, 1.0, now(), now(), %(uid)s, %(uid)s
          FROM bench_pos_order o
          JOIN (SELECT order_n, SUM(price * qty) AS total FROM bench_pos_line
                 GROUP BY order_n) t ON t.order_n = o.n
         ORDER BY o.n
        RETURNING id
        """,
        values,
    )
    order_ids = [row[0] for row in cr.fetchall()]
    cr.execute(
        "ALTER TABLE bench_pos_order ADD COLUMN order_id int;"
        "UPDATE bench_pos_order b SET order_id = o.id FROM pos_order o "
        "WHERE o.uuid = md5('bench-pos-' || b.n)"
    )
    cr.execute(
        """
        INSERT INTO pos_order_line (
            name, uuid, order_id, company_id, product_id, full_product_name,
            qty, price_unit, discount, price_subtotal, price_subtotal_incl,
            create_date, write_date, create_uid, write_uid)
        SELECT 'Bench POS line ' || l.line, md5('bench-pos-line-' || l.line),
               o.order_id, %(company)s, l.product_id, 'Bench product', l.qty,
               l.price, 0, l.price * l.qty, l.price * l.qty, now(), now(),
               %(uid)s, %(uid)s
          FROM bench_pos_line l JOIN bench_pos_order o ON o.n = l.order_n
        """,
        values,
    )
    # refunds: a few orders returned whole a week later (lines pointing to
    # the lines they refund, negative quantities)
    cr.execute(
        """
        CREATE TEMP TABLE bench_pos_refund ON COMMIT DROP AS
        SELECT o.id AS origin_id, row_number() OVER (ORDER BY o.id) AS k
          FROM pos_order o WHERE o.id = ANY(%(ids)s) AND random() < %(ratio)s;
        INSERT INTO pos_order (
            name, pos_reference, uuid, session_id, config_id, company_id,
            sale_journal, pricelist_id, partner_id, user_id, date_order,
            sequence_number, state, amount_tax, amount_total, amount_paid,
            amount_return, currency_rate, create_date, write_date, create_uid,
            write_uid)
        SELECT o.name || ' REFUND', o.pos_reference || '-R',
               md5('bench-pos-refund-' || o.id), o.session_id, o.config_id,
               o.company_id, o.sale_journal, o.pricelist_id, o.partner_id,
               o.user_id, LEAST(o.date_order + interval '7 days',
                                now() - interval '1 day'),
               o.sequence_number, 'done', 0, -o.amount_total, -o.amount_paid, 0,
               1.0, now(), now(), o.create_uid, o.write_uid
          FROM bench_pos_refund r JOIN pos_order o ON o.id = r.origin_id
         ORDER BY r.k;
        INSERT INTO pos_order_line (
            name, uuid, order_id, company_id, product_id, full_product_name,
            qty, price_unit, discount, price_subtotal, price_subtotal_incl,
            refunded_orderline_id, create_date, write_date, create_uid,
            write_uid)
        SELECT l.name || ' REFUND', md5('bench-pos-refund-line-' || l.id),
               ro.id, l.company_id, l.product_id, l.full_product_name, -l.qty,
               l.price_unit, 0, -l.price_subtotal, -l.price_subtotal_incl, l.id,
               now(), now(), l.create_uid, l.write_uid
          FROM bench_pos_refund r
          JOIN pos_order o ON o.id = r.origin_id
          JOIN pos_order ro ON ro.uuid = md5('bench-pos-refund-' || o.id)
          JOIN pos_order_line l ON l.order_id = o.id
        """,
        dict(values, ids=order_ids),
    )
    cr.execute(
        "UPDATE pos_session SET state = 'closed', stop_at = now() WHERE id = %s",
        [session.id],
    )
    env.invalidate_all()
    cr.execute(
        "SELECT COUNT(*) FROM pos_order_line l JOIN pos_order o "
        "ON o.id = l.order_id WHERE o.session_id = %s",
        [session.id],
    )
    return cr.fetchone()[0]


def prepare(registry, args, ours, pos):
    """The scale data of one database; returns what was created."""
    from data import generate_profile_bench

    pos_lines = int(args.lines * POS_SHARE) if pos else 0
    touchpoint_lines = int(args.lines * TOUCHPOINT_SHARE)
    move_lines = args.lines - pos_lines - touchpoint_lines
    with registry.cursor() as cr:
        env = environment(cr)
        if not env.company.chart_template:
            env["account.chart.template"].try_loading(
                "generic_coa", env.company, install_demo=False
            )
        # the generator numbers its rows from MAX(id) + 1: sequences that ran
        # ahead (a run that failed, a template) must not leave holes
        for table in ("res_partner", "account_move"):
            cr.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
            )
        created = generate_profile_bench.generate(
            env, partners=args.partners, lines=move_lines
        )
        created["receipts"] = to_receipts(cr)
        if ours:
            created["purchase_touchpoints"] = purchase_touchpoints(
                env, touchpoint_lines
            )
        if pos:
            created["pos_lines"] = pos_orders(env, pos_lines)
        cr.execute("ANALYZE")
        cr.commit()
    log(f"{registry.db_name}: {created}")
    return created


# ------------------------------------------------------------- (a) rebuild
def rebuild(registry, runs):
    timings = []
    for _run in range(runs):
        with registry.cursor() as cr:
            env = environment(cr)
            started = time.perf_counter()
            rows = env["optical.sale.line"]._optical_rebuild()
            cr.commit()
            timings.append(time.perf_counter() - started)
    with registry.cursor() as cr:
        cr.execute(
            "SELECT COALESCE(res_model, '-') || ':' || kind, COUNT(*) "
            "FROM optical_sale_line GROUP BY 1 ORDER BY 1"
        )
        by_kind = dict(cr.fetchall())
    log(f"ledger rows by source and kind: {by_kind}; rebuilds (s): {timings}")
    return timings, rows, by_kind


def expected_rows(registry, pos_source):
    """The sale lines of every source, counted in the documents themselves."""
    with registry.cursor() as cr:
        cr.execute(
            """
            SELECT (SELECT COUNT(*) FROM account_move_line l
                      JOIN account_move m ON m.id = l.move_id
                     WHERE l.display_type = 'product' AND m.state = 'posted'
                       AND m.move_type IN ('out_invoice', 'out_receipt',
                                           'out_refund'))
                 + (SELECT COUNT(*) FROM optical_touchpoint
                     WHERE kind = 'purchase' AND res_model IS NULL)
            """
        )
        count = cr.fetchone()[0]
        if pos_source:
            cr.execute(
                "SELECT COUNT(*) FROM pos_order_line l JOIN pos_order o "
                "ON o.id = l.order_id WHERE o.state IN ('paid', 'done') "
                "AND o.account_move IS NULL"
            )
            count += cr.fetchone()[0]
    return count


# ------------------------------------------------------------- (b) posting
def make_drafts(registry, count):
    """Draft invoices and receipts (frame, lenses, contact lenses) for the same
    customers with history in both databases: ``{move type: [ids]}``."""
    with registry.cursor() as cr:
        env = environment(cr)
        products = env["product.product"].search([("name", "in", PRODUCT_NAMES)])
        cr.execute(
            "SELECT id FROM res_partner WHERE name LIKE 'Bench Customer %%' "
            "ORDER BY id LIMIT %s",
            [count],
        )
        partner_ids = [row[0] for row in cr.fetchall()]
        drafts = {}
        for move_type in ("out_invoice", "out_receipt"):
            drafts[move_type] = (
                env["account.move"]
                .create(
                    [
                        {
                            "move_type": move_type,
                            "partner_id": partner_id,
                            "invoice_line_ids": [
                                (0, 0, {"product_id": product.id, "quantity": 2})
                                for product in products
                            ],
                        }
                        for partner_id in partner_ids
                    ]
                )
                .ids
            )
        cr.commit()
        return drafts


def posting(registries, drafts, posts, warmup, ours_db):
    """``{db: {move type: [seconds]}}``, kinds and databases alternating, and
    ``{move type: [seconds in our hooks]}`` in ours."""
    timings = {db: {kind: [] for kind in drafts[db]} for db in registries}
    hooks = instrument_hooks(
        registries[ours_db],
        (
            ("optical.sale.line", "_optical_sync"),
            ("account.move", "_optical_record_touchpoints"),
        ),
    )
    in_hooks = {kind: [] for kind in drafts[ours_db]}
    dbs = list(registries)
    kinds = ["out_invoice", "out_receipt"]
    for index in range(posts + warmup):
        for db in dbs if index % 2 == 0 else dbs[::-1]:
            for kind in kinds if index % 4 < 2 else kinds[::-1]:
                hooks["current"] = 0.0
                elapsed = post_one(registries[db], drafts[db][kind][index])
                if index >= warmup:
                    timings[db][kind].append(elapsed)
                    if db == ours_db:
                        in_hooks[kind].append(hooks["current"])
    return timings, in_hooks


# ---------------------------------------------------------- (c) point of sale
def pos_order_data(env, session, partner_id, products):
    cash = session.config_id.payment_method_ids.filtered("is_cash_count")[:1]
    lines = [
        (
            0,
            0,
            {
                "product_id": product.id,
                "qty": 2,
                "price_unit": product.lst_price,
                "price_subtotal": product.lst_price * 2,
                "price_subtotal_incl": product.lst_price * 2,
                "discount": 0,
                "tax_ids": [(6, 0, [])],
                "pack_lot_ids": [],
                "full_product_name": product.name,
                "uuid": str(uuid.uuid4()),
            },
        )
        for product in products
    ]
    total = sum(line[2]["price_subtotal_incl"] for line in lines)
    order_uuid = str(uuid.uuid4())
    return {
        "name": f"Order {order_uuid[:13]}",
        "uuid": order_uuid,
        "session_id": session.id,
        "partner_id": partner_id,
        "pricelist_id": session.config_id.pricelist_id.id,
        "fiscal_position_id": False,
        "user_id": env.uid,
        "sequence_number": 1,
        "date_order": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
        "amount_paid": total,
        "amount_total": total,
        "amount_tax": 0,
        "amount_return": 0,
        "lines": lines,
        "payment_ids": [
            (
                0,
                0,
                {
                    "amount": total,
                    "name": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
                    "payment_method_id": cash.id,
                },
            )
        ],
        "state": "paid",
        "to_invoice": False,
        "last_order_preparation_change": "{}",
    }


def pos_prepare(registry, count):
    """An open session; ``(session id, [customer ids])``."""
    with registry.cursor() as cr:
        env = environment(cr)
        session = open_session(pos_setup(env))
        cr.execute(
            "SELECT id FROM res_partner WHERE name LIKE 'Bench Customer %%' "
            "ORDER BY id DESC LIMIT %s",
            [count],
        )
        partner_ids = [row[0] for row in cr.fetchall()]
        cr.commit()
        return session.id, partner_ids


def validate_one(registry, session_id, partner_id):
    with registry.cursor() as cr:
        env = environment(cr)
        session = env["pos.session"].browse(session_id)
        products = env["product.product"].search([("name", "in", PRODUCT_NAMES)])
        data = pos_order_data(env, session, partner_id, products)
        started = time.perf_counter()
        env["pos.order"].sync_from_ui([data])
        cr.commit()
        elapsed = time.perf_counter() - started
        order = env["pos.order"].search([("uuid", "=", data["uuid"])])
        if order.state != "paid":
            raise RuntimeError(f"POS order {order.name} not paid: {order.state}")
        return elapsed


def pos_validation(registries, orders, warmup):
    prepared = {db: pos_prepare(reg, orders + warmup) for db, reg in registries.items()}
    timings = {db: [] for db in registries}
    dbs = list(registries)
    for index in range(orders + warmup):
        for db in dbs if index % 2 == 0 else dbs[::-1]:
            session_id, partner_ids = prepared[db]
            elapsed = validate_one(registries[db], session_id, partner_ids[index])
            if index >= warmup:
                timings[db].append(elapsed)
    return timings


# ---------------------------------------------------------------------- main
def paired(ours, ref):
    return statistics.median(a / b for a, b in zip(ours, ref, strict=True))


def report(args, rebuilt, expected, posts, in_hooks, pos_times, dbs):
    ours_db, ref_db = dbs
    timings, rows, by_kind = rebuilt
    sources = ", ".join(f"{kind} {count:,}" for kind, count in by_kind.items())
    bench(
        f"ledger full rebuild, median of {args.runs} [min-max] [s] "
        f"({args.partners:,} customers, {rows:,} lines: {sources})",
        spread(timings, digits=2),
        "-",
        "< 15",
    )
    bench(
        "ledger rows after the rebuild; ref. the sale lines of the documents",
        rows,
        expected,
        "ratio = 1",
    )
    ms = 1000
    for kind, label in (
        ("out_invoice", "customer invoice"),
        ("out_receipt", "sales receipt"),
    ):
        bench(
            f"post one {label} ({kind}), median of {args.posts} [p25-p75] [ms]; "
            "ref. the same database without our addons",
            spread(posts[ours_db][kind], ms),
            spread(posts[ref_db][kind], ms),
            "ratio <= 1.10",
        )
        bench(
            f"posting overhead of our addons, {label}s: median of paired ratios",
            f"{paired(posts[ours_db][kind], posts[ref_db][kind]):.3f}",
            "-",
            "<= 1.10",
        )
        rest = [
            a - b for a, b in zip(posts[ours_db][kind], in_hooks[kind], strict=True)
        ]
        bench(
            f"posting a {label}: time in our hooks (ledger sync and what hooks on "
            "it, touchpoint) [ms]; ref. the rest of the post",
            spread(in_hooks[kind], ms),
            spread(rest, ms),
        )
    bench(
        "post one sales receipt with our addons [ms]; ref. one customer invoice",
        spread(posts[ours_db]["out_receipt"], ms),
        spread(posts[ours_db]["out_invoice"], ms),
        "ratio <= 1.10",
    )
    bench(
        "without our addons, receipt / invoice posting [ms] (for comparison)",
        spread(posts[ref_db]["out_receipt"], ms),
        spread(posts[ref_db]["out_invoice"], ms),
    )
    if pos_times:
        bench(
            f"validate one POS order (sync_from_ui, paid), median of {args.orders} "
            "[p25-p75] [ms]; ref. the same database without our addons",
            spread(pos_times[ours_db], ms),
            spread(pos_times[ref_db], ms),
            "ratio <= 1.10",
        )
        bench(
            "POS validation overhead of our addons: median of paired ratios",
            f"{paired(pos_times[ours_db], pos_times[ref_db]):.3f}",
            "-",
            "<= 1.10",
        )


def modules(args):
    """``(ours, reference, pos)``: the modules of each database."""
    bridge = (REPO / BRIDGE / "__manifest__.py").exists()
    pos = args.pos == "yes" or (args.pos == "auto" and bridge)
    ours, ref = OUR_ADDONS, args.reference_modules
    if pos:
        ours += ",point_of_sale" + (f",{BRIDGE}" if bridge else "")
        ref += ",point_of_sale"
    return ours, ref, pos


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--partners", type=int, default=scaled(100_000, 5_000))
    parser.add_argument("--lines", type=int, default=scaled(300_000, 15_000))
    parser.add_argument("--runs", type=int, default=scaled(5, 3))
    parser.add_argument("--posts", type=int, default=scaled(100, 20))
    parser.add_argument("--orders", type=int, default=scaled(100, 20))
    parser.add_argument("--warmup", type=int, default=6)
    parser.add_argument("--pos", choices=("auto", "yes", "no"), default="auto")
    parser.add_argument("--reference-modules", default=DEPENDENCIES)
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument(
        "--templates",
        metavar="OURS,REF",
        help="copy these two databases (the modules installed, no data) instead "
        "of installing the modules",
    )
    args = parser.parse_args()
    ours_modules, ref_modules, pos = modules(args)
    prefix = db_name("bench_ledger")
    ours_db, ref_db = f"{prefix}_ours", f"{prefix}_ref"
    if args.templates:
        for db, template in zip(
            (ours_db, ref_db), args.templates.split(","), strict=True
        ):
            drop(db)
            subprocess.run(["createdb", "-T", template, db], check=True)
    else:
        install(ours_db, ours_modules, log=log)
        install(ref_db, ref_modules, log=log)

    configure()
    from odoo.modules.registry import Registry

    try:
        registries = {db: Registry(db) for db in (ours_db, ref_db)}
        for db, reg in registries.items():
            prepare(reg, args, db == ours_db, pos)
        with registries[ours_db].cursor() as cr:
            sources = environment(cr)["optical.sale.line"]._optical_ledger_sources()
        pos_source = pos and "pos.order" in sources
        if pos and not pos_source:
            log("point_of_sale without the ledger source 'pos.order': no POS rows")
        rebuilt = rebuild(registries[ours_db], args.runs)
        expected = expected_rows(registries[ours_db], pos_source)
        total = args.posts + args.warmup
        drafts = {db: make_drafts(registries[db], total) for db in registries}
        posts, in_hooks = posting(registries, drafts, args.posts, args.warmup, ours_db)
        pos_times = pos_validation(registries, args.orders, args.warmup) if pos else {}
        report(args, rebuilt, expected, posts, in_hooks, pos_times, (ours_db, ref_db))
    finally:
        Registry.delete_all()
        if not args.keep:
            for db in (ours_db, ref_db):
                drop(db)
    return 0


if __name__ == "__main__":
    sys.exit(main())
