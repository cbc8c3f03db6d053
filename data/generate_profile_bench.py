#!/usr/bin/env python3
"""Scale data for the optical profile benchmark (tests/benchmarks/bench_profile.py).

Fills an Odoo 18 database that has ``account`` (and a chart of accounts) with
customers and posted customer invoices through set-based SQL, consistent enough
for Odoo to treat them as posted invoices: names and sequences per journal and
year, balanced lines (product lines and one receivable line per invoice, no
taxes), amounts and signed amounts, ``parent_state``, credit notes pointing to
their invoice. When ``optical_crm`` is installed it also fills the optical
columns and tables (product categories, invoice-line categories, exams,
prescriptions, the touchpoints that posting records).

    python3 data/generate_profile_bench.py -d DB [--partners 100000] [--lines 300000]

Deterministic for a given database state (``setseed``). About one minute for the
default size on 2 cores (most of it is index maintenance on account_move_line).
"""

import argparse
import time

# (name, category, price, replacement days, lenses per pack, weight)
PRODUCTS = (
    ("Bench frame", "frame", 120, 0, 0, 14),
    ("Bench single vision lens", "spectacle_lens", 65, 0, 0, 18),
    ("Bench progressive lens", "spectacle_lens", 240, 0, 0, 8),
    ("Bench sunglasses", "sunglasses", 145, 0, 0, 8),
    ("Bench daily lenses 30", "contact_lens", 29, 1, 30, 12),
    ("Bench monthly lenses 6", "contact_lens", 32, 30, 6, 10),
    ("Bench two-weekly lenses 6", "contact_lens", 24, 14, 6, 6),
    ("Bench lens solution", "lens_care", 14, 0, 0, 10),
    ("Bench eye exam", "eye_exam", 35, 0, 0, 10),
    ("Bench case", "accessory", 12, 0, 0, 4),
)


def _columns(cr, table):
    cr.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s",
        [table],
    )
    return {row[0] for row in cr.fetchall()}


def _products(env, optical):
    """Create the products with the ORM (a handful) and return their SQL rows."""
    rows = []
    for name, category, price, days, per_pack, weight in PRODUCTS:
        vals = {"name": name, "list_price": price, "type": "consu", "taxes_id": False}
        if optical:
            vals["optical_category"] = category
            if days:
                vals["optical_cl_replacement_days"] = days
                vals["optical_cl_lenses_per_pack"] = per_pack
        product = env["product.product"].create(vals)
        rows.append((product.id, category, price, weight))
    env.flush_all()
    return rows


def generate(env, partners=100_000, lines=300_000, refund_ratio=0.03, years=3):
    """Insert the scale data; returns a dict of what was created."""
    cr = env.cr
    started = time.time()
    optical = "optical_category" in _columns(cr, "account_move_line")
    company = env.company
    journal = env["account.journal"].search(
        [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
    )
    income = journal.default_account_id.id
    receivable = (
        env["res.partner"]
        .with_company(company)
        .new({})
        .property_account_receivable_id.id
    )
    assert income and receivable, "install a chart of accounts first"
    currency = company.currency_id.id
    products = _products(env, optical)
    cr.execute("SELECT setseed(0.42)")

    # --- partners ------------------------------------------------------------
    cr.execute("SELECT COALESCE(MAX(id), 0) FROM res_partner")
    first_partner = cr.fetchone()[0] + 1
    partner_cols = _columns(cr, "res_partner")
    extra_cols = ""
    extra_vals = ""
    if "optical_birthdate" in partner_cols:
        extra_cols = ", optical_birthdate"
        # no random(): both databases must draw the same random numbers
        extra_vals = ", (CURRENT_DATE - 365 * 5 - (g * 7919) %% (365 * 80))"
    cr.execute(
        f"""
        INSERT INTO res_partner (
            name, complete_name, active, type, is_company, customer_rank,
            supplier_rank, lang, autopost_bills, email, email_normalized, mobile,
            phone_sanitized, create_date, write_date, create_uid, write_uid
            {extra_cols})
        SELECT 'Bench Customer ' || g, 'Bench Customer ' || g, TRUE, 'contact', FALSE,
               1, 0, 'en_US', 'ask',
               'bench' || g || '@example.com', 'bench' || g || '@example.com',
               '+39333' || lpad(g::text, 7, '0'), '+39333' || lpad(g::text, 7, '0'),
               now(), now(), 1, 1 {extra_vals}
          FROM generate_series(1, %s) g
        """,
        [partners],
    )
    cr.execute(
        "UPDATE res_partner SET commercial_partner_id = id WHERE id >= %s",
        [first_partner],
    )

    # --- invoices ------------------------------------------------------------
    n_moves = int(lines / 2.3)
    cr.execute(
        """
        CREATE TEMP TABLE bench_move ON COMMIT DROP AS
        SELECT g AS n,
               %(first)s + floor(random() * %(partners)s)::int AS partner_id,
               CURRENT_DATE - floor(random() * 365 * %(years)s)::int - 1 AS day
          FROM generate_series(1, %(moves)s) g
        """,
        {
            "first": first_partner,
            "partners": partners,
            "years": years,
            "moves": n_moves,
        },
    )
    # product per line: weighted choice
    weights = []
    total_weight = sum(p[3] for p in products)
    acc = 0
    for product_id, category, price, weight in products:
        acc += weight
        weights.append((acc / total_weight, product_id, category, price))
    case = " ".join(
        f"WHEN r < {bound} THEN {pid}" for bound, pid, _c, _p in weights[:-1]
    )
    cr.execute(
        f"""
        CREATE TEMP TABLE bench_line ON COMMIT DROP AS
        SELECT l.n AS line, l.n %% %(moves)s + 1 AS move_n,
               CASE {case} ELSE {weights[-1][1]} END AS product_id,
               1 + floor(random() * 3)::int AS quantity
          FROM (SELECT g AS n, random() AS r FROM generate_series(0, %(lines)s - 1) g) l
        """,
        {"moves": n_moves, "lines": lines},
    )
    price_case = " ".join(f"WHEN {pid} THEN {price}" for _b, pid, _c, price in weights)
    category_case = " ".join(
        f"WHEN {pid} THEN '{category}'" for _b, pid, category, _p in weights
    )
    cr.execute(
        f"ALTER TABLE bench_line ADD COLUMN price numeric, ADD COLUMN category varchar;"
        f"UPDATE bench_line SET price = CASE product_id {price_case} END,"
        f" category = CASE product_id {category_case} END"
    )
    cr.execute("SELECT COALESCE(MAX(id), 0) FROM account_move")
    first_move = cr.fetchone()[0] + 1
    cr.execute(
        """
        INSERT INTO account_move (
            name, sequence_prefix, sequence_number, journal_id, company_id,
            currency_id, state, move_type, auto_post, date, invoice_date,
            invoice_date_due, partner_id, commercial_partner_id, partner_shipping_id,
            invoice_partner_display_name, payment_reference, payment_state,
            amount_untaxed, amount_tax, amount_total, amount_residual,
            amount_untaxed_signed, amount_untaxed_in_currency_signed,
            amount_tax_signed, amount_total_signed, amount_total_in_currency_signed,
            amount_residual_signed, invoice_currency_rate, is_storno,
            always_tax_exigible, checked, posted_before, made_sequence_gap,
            create_date, write_date, create_uid, write_uid)
        SELECT 'INV/' || extract(year FROM m.day) || '/' || lpad(seq::text, 6, '0'),
               'INV/' || extract(year FROM m.day) || '/', seq, %(journal)s,
               %(company)s, %(currency)s, 'posted', 'out_invoice', 'no', m.day,
               m.day, m.day, m.partner_id, m.partner_id, m.partner_id,
               'Bench Customer', 'BINV', 'not_paid',
               t.total, 0, t.total, t.total, t.total, t.total, 0, t.total, t.total,
               t.total, 1.0, FALSE, FALSE, TRUE, TRUE, FALSE, now(), now(), 1, 1
          FROM (SELECT m.*, row_number() OVER (
                       PARTITION BY extract(year FROM m.day) ORDER BY m.day, m.n) AS seq
                  FROM bench_move m) m
          JOIN (SELECT move_n, SUM(price * quantity) AS total
                  FROM bench_line GROUP BY move_n) t ON t.move_n = m.n
         ORDER BY m.n
        """,
        {"journal": journal.id, "company": company.id, "currency": currency},
    )
    # bench_move.n -> account_move.id (inserted in order of n)
    cr.execute(
        "ALTER TABLE bench_move ADD COLUMN move_id int;"
        "UPDATE bench_move SET move_id = %s + n - 1",
        [first_move],
    )
    line_cols = ""
    line_vals = ""
    if optical:
        line_cols = ", optical_category"
        line_vals = ", l.category"
    cr.execute(
        f"""
        INSERT INTO account_move_line (
            move_id, move_name, journal_id, company_id, company_currency_id,
            currency_id, account_id, partner_id, product_id, product_uom_id, name,
            display_type, date, invoice_date, parent_state, sequence, quantity,
            price_unit, price_subtotal, price_total, discount, debit, credit,
            balance, amount_currency, amount_residual, amount_residual_currency,
            tax_tag_invert, reconciled, create_date, write_date, create_uid,
            write_uid {line_cols})
        SELECT m.move_id, am.name, %(journal)s, %(company)s, %(currency)s,
               %(currency)s, %(income)s, m.partner_id, l.product_id, 1,
               'Bench line', 'product', m.day, m.day, 'posted', 100, l.quantity,
               l.price, l.price * l.quantity, l.price * l.quantity, 0, 0,
               l.price * l.quantity, -l.price * l.quantity, -l.price * l.quantity,
               0, 0, TRUE, FALSE, now(), now(), 1, 1 {line_vals}
          FROM bench_line l
          JOIN bench_move m ON m.n = l.move_n
          JOIN account_move am ON am.id = m.move_id
        """,
        {
            "journal": journal.id,
            "company": company.id,
            "currency": currency,
            "income": income,
        },
    )
    cr.execute(
        """
        INSERT INTO account_move_line (
            move_id, move_name, journal_id, company_id, company_currency_id,
            currency_id, account_id, partner_id, name, display_type, date,
            invoice_date, date_maturity, parent_state, sequence, quantity,
            price_unit, price_subtotal, price_total, discount, debit, credit,
            balance, amount_currency, amount_residual, amount_residual_currency,
            discount_amount_currency, discount_balance, tax_tag_invert, reconciled,
            create_date, write_date, create_uid, write_uid)
        SELECT am.id, am.name, am.journal_id, am.company_id, am.currency_id,
               am.currency_id, %(receivable)s, am.partner_id, am.name,
               'payment_term', am.date, am.date, am.date, 'posted', 12000, 0, 0, 0,
               0, 0, am.amount_total, 0, am.amount_total, am.amount_total,
               am.amount_total, am.amount_total, 0, 0, FALSE, FALSE, now(), now(),
               1, 1
          FROM account_move am WHERE am.id >= %(first)s
        """,
        {"receivable": receivable, "first": first_move},
    )

    # --- credit notes: the whole invoice, a week later ------------------------
    cr.execute(
        """
        CREATE TEMP TABLE bench_refund ON COMMIT DROP AS
        SELECT origin_id, day,
               row_number() OVER (PARTITION BY extract(year FROM day)
                                  ORDER BY day, origin_id) AS k
          FROM (SELECT am.id AS origin_id,
                       LEAST(am.date + 7, CURRENT_DATE - 1) AS day
                  FROM account_move am
                 WHERE am.id >= %s AND random() < %s) r
        """,
        [first_move, refund_ratio],
    )
    cr.execute("SELECT COALESCE(MAX(id), 0) FROM account_move")
    first_refund = cr.fetchone()[0] + 1
    cr.execute(
        """
        INSERT INTO account_move (
            name, sequence_prefix, sequence_number, journal_id, company_id,
            currency_id, state, move_type, auto_post, date, invoice_date,
            invoice_date_due, partner_id, commercial_partner_id, partner_shipping_id,
            invoice_partner_display_name, payment_reference, payment_state,
            reversed_entry_id, amount_untaxed, amount_tax, amount_total,
            amount_residual, amount_untaxed_signed, amount_untaxed_in_currency_signed,
            amount_tax_signed, amount_total_signed, amount_total_in_currency_signed,
            amount_residual_signed, invoice_currency_rate, is_storno,
            always_tax_exigible, checked, posted_before, made_sequence_gap,
            create_date, write_date, create_uid, write_uid)
        SELECT 'RINV/' || extract(year FROM r.day) || '/'
                   || lpad(r.k::text, 6, '0'),
               'RINV/' || extract(year FROM r.day) || '/', r.k, o.journal_id,
               o.company_id, o.currency_id, 'posted', 'out_refund', 'no',
               r.day, r.day, r.day, o.partner_id, o.partner_id,
               o.partner_id, 'Bench Customer', 'RINV', 'not_paid', o.id,
               o.amount_untaxed, 0, o.amount_total, o.amount_total,
               -o.amount_untaxed, -o.amount_untaxed, 0, -o.amount_total,
               -o.amount_total, -o.amount_total, 1.0, FALSE, FALSE, TRUE, TRUE,
               FALSE, now(), now(), 1, 1
          FROM bench_refund r JOIN account_move o ON o.id = r.origin_id
         ORDER BY r.day, r.k
        """
    )
    cr.execute(
        f"""
        INSERT INTO account_move_line (
            move_id, move_name, journal_id, company_id, company_currency_id,
            currency_id, account_id, partner_id, product_id, product_uom_id, name,
            display_type, date, invoice_date, date_maturity, parent_state, sequence,
            quantity, price_unit, price_subtotal, price_total, discount, debit,
            credit, balance, amount_currency, amount_residual,
            amount_residual_currency, tax_tag_invert, reconciled, create_date,
            write_date, create_uid, write_uid {line_cols.replace("l.", "")})
        SELECT rm.id, rm.name, l.journal_id, l.company_id, l.company_currency_id,
               l.currency_id, l.account_id, l.partner_id, l.product_id,
               l.product_uom_id, l.name, l.display_type, rm.date, rm.date,
               l.date_maturity, 'posted', l.sequence, l.quantity, l.price_unit,
               l.price_subtotal, l.price_total, 0, l.credit, l.debit, -l.balance,
               -l.amount_currency, -l.amount_residual, -l.amount_residual_currency,
               NOT l.tax_tag_invert, FALSE, now(), now(), 1, 1
               {line_cols.replace("optical_category", "l.optical_category")}
          FROM account_move rm
          JOIN account_move_line l ON l.move_id = rm.reversed_entry_id
         WHERE rm.id >= %s
        """,
        [first_refund],
    )
    created = {
        "partners": partners,
        "invoices": n_moves,
        "invoice_lines": lines,
    }
    cr.execute("SELECT count(*) FROM account_move WHERE id >= %s", [first_refund])
    created["credit_notes"] = cr.fetchone()[0]

    # --- optical data ----------------------------------------------------------
    if optical:
        created.update(_optical(cr, first_partner, partners, first_move, company.id))
    if "optical.sale.line" in env:
        # the documents written in SQL above reach the sales ledger, which
        # the profile reads, as installing the addon on them would do
        env.invalidate_all()
        created["ledger_lines"] = env["optical.sale.line"]._optical_rebuild()
    cr.execute("ANALYZE")
    created["seconds"] = round(time.time() - started, 1)
    return created


def _optical(cr, first_partner, partners, first_move, company_id):
    """Exams, prescriptions and the touchpoints posting records, for optical_crm."""
    exams = partners * 3 // 5
    cr.execute(
        """
        INSERT INTO optical_exam (partner_id, company_id, date, next_exam_date,
                                  create_date, write_date, create_uid, write_uid)
        SELECT %(first)s + floor(random() * %(partners)s)::int, %(company)s, d,
               d + interval '12 months', now(), now(), 1, 1
          FROM (SELECT CURRENT_DATE - floor(random() * 365 * 3)::int - 1 AS d
                  FROM generate_series(1, %(exams)s)) g
        """,
        {
            "first": first_partner,
            "partners": partners,
            "company": company_id,
            "exams": exams,
        },
    )
    cr.execute(
        """
        INSERT INTO optical_prescription (
            partner_id, company_id, exam_id, kind, date, expiry_date, od_sphere,
            os_sphere, pd, create_date, write_date, create_uid, write_uid)
        SELECT partner_id, company_id, id, 'spectacles', date, date + 365,
               -0.25 * floor(random() * 16), -0.25 * floor(random() * 16), 64,
               now(), now(), 1, 1
          FROM optical_exam WHERE partner_id >= %s
        """,
        [first_partner],
    )
    cr.execute(
        """
        INSERT INTO optical_touchpoint (
            partner_id, datetime, channel, kind, summary, source, external_ref,
            res_model, res_id, company_id, amount, create_date, write_date,
            create_uid, write_uid)
        SELECT partner_id, invoice_date + time '12:00', 'store', 'purchase', name,
               'odoo', 'account.move,' || id, 'account.move', id, company_id,
               amount_untaxed_signed, now(), now(), 1, 1
          FROM account_move WHERE id >= %s AND move_type = 'out_invoice'
        """,
        [first_move],
    )
    return {"exams": exams, "prescriptions": exams}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--partners", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=300_000)
    parser.add_argument("--addons-path", default=None)
    args = parser.parse_args()
    import odoo  # only needed when run as a script
    from odoo.modules.registry import Registry

    if args.addons_path:
        odoo.tools.config["addons_path"] = args.addons_path
    odoo.tools.config["db_user"] = odoo.tools.config.get("db_user") or None
    registry = Registry(args.database)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        created = generate(env, partners=args.partners, lines=args.lines)
        cr.commit()
    print(created)


if __name__ == "__main__":
    main()
