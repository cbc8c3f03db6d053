"""Scale data for benchmarks: customers, invoices, messages, exams, by SQL bulk inserts.

Usage, from a benchmark that has an Odoo environment on a throw-away database with
``optical_crm`` installed::

    from data.generate_scale import generate
    stats = generate(env, partners=100_000, invoice_lines=300_000)

What it makes (deterministic for a given ``seed``):

* ``companies`` shops (the main company plus new ones with the generic chart of
  accounts), each with its sale journal, income account and currency;
* ``partners`` customers (``res.partner``, shared by the shops), with optical profile
  dates: next eye exam for ~60 %, contact-lens run-out for ~15 %;
* posted customer invoices (``account_move``, ``out_invoice``) of ~80 % of the
  customers, 1 to several each (long-tailed), over ``years`` years up to today, each
  in the customer's usual shop (10 % elsewhere); ``invoice_lines`` product lines
  (``account_move_line``, ``display_type='product'``) with a product and its
  ``optical_category``, amounts in the shop's currency, ``amount_untaxed_signed`` and
  totals on the moves; 5 % of the invoices credited (``out_refund`` with
  ``reversed_entry_id``, half of them in full);
* ``messages`` rows of ``optical_contact_log`` (campaigns and cycle steps, 5 %
  control group) and ``exams`` eye exams.

Only the columns our SQL and Odoo's constraints need are filled: no receivable lines,
no taxes, no sequence numbers beyond a readable name.
"""

import math
import time

from odoo import Command
from odoo.tools import SQL

CATEGORY_PRICES = {
    "frame": 180.0,
    "spectacle_lens": 120.0,
    "spectacles": 320.0,
    "sunglasses": 150.0,
    "contact_lens": 45.0,
    "lens_care": 12.0,
    "eye_exam": 40.0,
    "accessory": 15.0,
}


def _setup_shops(env, companies):
    shops = env["res.company"].search([], order="id", limit=companies)
    Company = env["res.company"]
    for index in range(len(shops), companies):
        company = Company.create({"name": f"Ottica {index + 1}"})
        env["account.chart.template"].try_loading(
            "generic_coa", company=company, install_demo=False
        )
        shops |= company
    result = []
    for company in shops:
        journal = env["account.journal"].search(
            [("company_id", "=", company.id), ("type", "=", "sale")], limit=1
        )
        if not journal:
            env["account.chart.template"].try_loading(
                "generic_coa", company=company, install_demo=False
            )
            journal = env["account.journal"].search(
                [("company_id", "=", company.id), ("type", "=", "sale")], limit=1
            )
        result.append(
            {
                "id": company.id,
                "journal_id": journal.id,
                "account_id": journal.default_account_id.id,
                "currency_id": company.currency_id.id,
            }
        )
    return result


def _setup_products(env):
    Product = env["product.product"]
    products = {}
    for category, price in CATEGORY_PRICES.items():
        product = Product.search([("optical_category", "=", category)], limit=1)
        if not product:
            lenses = (
                {"optical_cl_replacement_days": 30, "optical_cl_lenses_per_pack": 6}
                if category == "contact_lens"
                else {}
            )
            product = Product.create(
                {
                    "name": f"Bench {category}",
                    "optical_category": category,
                    "list_price": price,
                    "type": "consu",
                    "taxes_id": [Command.clear()],
                    **lenses,
                }
            )
        products[category] = product.id
    return products


def generate(
    env,
    partners=100_000,
    invoice_lines=300_000,
    years=5,
    companies=2,
    messages=100_000,
    exams=30_000,
    seed=0.42,
):
    """Fill the database; returns counts and the seconds each step took."""
    cr = env.cr
    timings = {}
    started = time.perf_counter()
    shops = _setup_shops(env, companies)
    products = _setup_products(env)
    env.flush_all()
    cr.execute(SQL("SELECT setseed(%s)", seed))
    today = env.cr.now().date()
    shop_rows = SQL(", ").join(
        SQL(
            "(%s, %s, %s, %s, %s)",
            n,
            shop["id"],
            shop["journal_id"],
            shop["account_id"],
            shop["currency_id"],
        )
        for n, shop in enumerate(shops)
    )
    timings["setup"] = time.perf_counter() - started

    step = time.perf_counter()
    cr.execute("DROP TABLE IF EXISTS bench_partner")
    cr.execute(
        SQL(
            """
            CREATE TEMP TABLE bench_partner AS
            WITH new AS (
                INSERT INTO res_partner (
                    name, complete_name, active, type, is_company, autopost_bills,
                    lang, create_date, write_date, create_uid, write_uid)
                SELECT 'Cliente ' || g, 'Cliente ' || g, TRUE, 'contact', FALSE,
                       'ask', NULL, NOW(), NOW(), 1, 1
                  FROM generate_series(1, %(n)s) g
                RETURNING id
            )
            SELECT id,
                   mod((random() * %(shops)s)::int, %(shops)s) AS home,
                   random() < 0.8 AS buyer,
                   CASE WHEN random() < 0.6
                        THEN %(today)s::date + (random() * 730 - 365)::int
                   END AS next_exam,
                   CASE WHEN random() < 0.15
                        THEN %(today)s::date + (random() * 120 - 60)::int
                   END AS runout
              FROM new
            """,
            today=today,
            n=partners,
            shops=len(shops),
        )
    )
    # the profile figures are per shop (company-dependent jsonb columns): the
    # customer's home shop holds the recall and run-out dates
    cr.execute(
        SQL(
            """
            WITH shop(n, company_id) AS (VALUES %(shops)s)
            UPDATE res_partner p
               SET commercial_partner_id = p.id,
                   optical_next_exam_date = CASE WHEN b.next_exam IS NOT NULL
                       THEN jsonb_build_object(shop.company_id, b.next_exam) END,
                   optical_cl_runout_date = CASE WHEN b.runout IS NOT NULL
                       THEN jsonb_build_object(shop.company_id, b.runout) END
              FROM bench_partner b
              JOIN shop ON shop.n = b.home
             WHERE b.id = p.id
            """,
            shops=SQL(", ").join(
                SQL("(%s, %s)", n, shop["id"]) for n, shop in enumerate(shops)
            ),
        )
    )
    timings["partners"] = time.perf_counter() - step

    # invoices: a long tail of purchases per buyer; lines to reach invoice_lines
    step = time.perf_counter()
    buyers = int(partners * 0.8)
    # 2.5 product lines per invoice, plus one line for each credit note (5 %)
    invoices_wanted = max(1, int(invoice_lines / 2.55))
    # 1 + floor(-ln(u) * scale) purchases per buyer: a long tail whose mean is
    # 1 + 1 / (e^(1/scale) - 1), tuned to the wanted number of invoices
    mean_extra = max(invoices_wanted / max(buyers, 1) - 1.0, 1e-6)
    scale = 1.0 / math.log(1.0 + 1.0 / mean_extra)
    cr.execute("DROP TABLE IF EXISTS bench_move")
    cr.execute(
        SQL(
            """
            CREATE TEMP TABLE bench_move AS
            WITH shop(n, company_id, journal_id, account_id, currency_id) AS (
                VALUES %(shop_rows)s
            ), buyer AS (
                SELECT id, home, 1 + floor(-ln(1 - random()) * %(extra)s)::int AS k
                  FROM bench_partner WHERE buyer
            ), plan AS (
                SELECT b.id AS partner_id,
                       CASE WHEN random() < 0.9 THEN b.home
                            ELSE mod((random() * %(shops)s)::int, %(shops)s) END AS n,
                       %(today)s::date - (random() * 365 * %(years)s)::int AS day
                  FROM buyer b CROSS JOIN LATERAL generate_series(1, b.k) g
            ), new AS (
                INSERT INTO account_move (
                    name, move_type, state, auto_post, date, invoice_date,
                    partner_id, commercial_partner_id, company_id, journal_id,
                    currency_id, amount_untaxed, amount_total, amount_untaxed_signed,
                    amount_total_signed, amount_untaxed_in_currency_signed,
                    amount_total_in_currency_signed, amount_tax, amount_tax_signed,
                    amount_residual, amount_residual_signed, payment_state,
                    create_date, write_date, create_uid, write_uid)
                SELECT 'BENCH/' || row_number() OVER (), 'out_invoice', 'posted', 'no',
                       plan.day, plan.day, plan.partner_id, plan.partner_id,
                       shop.company_id, shop.journal_id, shop.currency_id,
                       0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 'not_paid',
                       NOW(), NOW(), 1, 1
                  FROM plan JOIN shop ON shop.n = plan.n
                RETURNING id, company_id, journal_id, currency_id, partner_id,
                          invoice_date
            )
            SELECT new.*, shop.account_id, 1 + (random() * 3.0)::int AS nlines
              FROM new JOIN shop ON shop.company_id = new.company_id
            """,
            shop_rows=shop_rows,
            shops=len(shops),
            today=today,
            years=years,
            extra=scale,
        )
    )
    cr.execute(
        SQL(
            """
            WITH cat(n, category, product_id, price) AS (VALUES %(cats)s)
            INSERT INTO account_move_line (
                move_id, company_id, journal_id, currency_id, company_currency_id,
                account_id, partner_id, product_id, display_type, name, quantity,
                price_unit, price_subtotal, price_total, balance, amount_currency,
                debit, credit, date, invoice_date, parent_state, optical_category,
                create_date, write_date, create_uid, write_uid)
            SELECT m.id, m.company_id, m.journal_id, m.currency_id, m.currency_id,
                   m.account_id, m.partner_id, c.product_id, 'product', c.category,
                   q.qty, c.price, c.price * q.qty, c.price * q.qty,
                   -c.price * q.qty, -c.price * q.qty, 0, c.price * q.qty,
                   m.invoice_date, m.invoice_date, 'posted', c.category,
                   NOW(), NOW(), 1, 1
              FROM bench_move m
             CROSS JOIN LATERAL generate_series(1, m.nlines) l
             CROSS JOIN LATERAL (SELECT (random() * 7)::int AS n,
                                        1 + (random() * 2)::int AS qty) q
              JOIN cat c ON c.n = q.n
            """,
            cats=SQL(", ").join(
                SQL("(%s, %s, %s, %s)", n, category, products[category], price)
                for n, (category, price) in enumerate(CATEGORY_PRICES.items())
            ),
        )
    )
    cr.execute(
        """
        UPDATE account_move mv
           SET amount_untaxed = t.amount, amount_total = t.amount,
               amount_untaxed_signed = t.amount, amount_total_signed = t.amount,
               amount_untaxed_in_currency_signed = t.amount,
               amount_total_in_currency_signed = t.amount,
               amount_residual = t.amount, amount_residual_signed = t.amount
          FROM (SELECT l.move_id, -SUM(l.balance) AS amount
                  FROM account_move_line l
                  JOIN bench_move m ON m.id = l.move_id
                 GROUP BY l.move_id) t
         WHERE mv.id = t.move_id
        """
    )
    # 5 % credited, half of them in full, 10 to 60 days later
    cr.execute(
        """
        WITH src AS (
            SELECT mv.*, CASE WHEN random() < 0.5 THEN 1.0
                              ELSE round((0.1 + random() * 0.5)::numeric, 2)
                         END AS share,
                   10 + (random() * 50)::int AS delay
              FROM account_move mv JOIN bench_move b ON b.id = mv.id
             WHERE random() < 0.05
        ), new AS (
            INSERT INTO account_move (
                name, move_type, state, auto_post, date, invoice_date, partner_id,
                commercial_partner_id, company_id, journal_id, currency_id,
                reversed_entry_id, amount_untaxed, amount_total, amount_untaxed_signed,
                amount_total_signed, amount_untaxed_in_currency_signed,
                amount_total_in_currency_signed, amount_tax, amount_tax_signed,
                amount_residual, amount_residual_signed, payment_state,
                create_date, write_date, create_uid, write_uid)
            SELECT 'RBENCH/' || src.id, 'out_refund', 'posted', 'no',
                   LEAST(src.invoice_date + src.delay, CURRENT_DATE),
                   LEAST(src.invoice_date + src.delay, CURRENT_DATE),
                   src.partner_id, src.partner_id, src.company_id, src.journal_id,
                   src.currency_id, src.id,
                   round(src.amount_untaxed * src.share, 2),
                   round(src.amount_untaxed * src.share, 2),
                   -round(src.amount_untaxed * src.share, 2),
                   -round(src.amount_untaxed * src.share, 2),
                   -round(src.amount_untaxed * src.share, 2),
                   -round(src.amount_untaxed * src.share, 2),
                   0, 0, 0, 0, 'not_paid', NOW(), NOW(), 1, 1
              FROM src
            RETURNING id, company_id, journal_id, currency_id, partner_id,
                      invoice_date, amount_untaxed
        )
        INSERT INTO account_move_line (
            move_id, company_id, journal_id, currency_id, company_currency_id,
            account_id, partner_id, display_type, name, quantity, price_unit,
            price_subtotal, price_total, balance, amount_currency, debit, credit,
            date, invoice_date, parent_state, create_date, write_date, create_uid,
            write_uid)
        SELECT new.id, new.company_id, new.journal_id, new.currency_id,
               new.currency_id, j.default_account_id, new.partner_id, 'product',
               'Reso', 1, new.amount_untaxed, new.amount_untaxed, new.amount_untaxed,
               new.amount_untaxed, new.amount_untaxed, new.amount_untaxed, 0,
               new.invoice_date, new.invoice_date, 'posted', NOW(), NOW(), 1, 1
          FROM new JOIN account_journal j ON j.id = new.journal_id
        """
    )
    timings["invoices"] = time.perf_counter() - step

    step = time.perf_counter()
    cr.execute(
        SQL(
            """
            WITH shop(n, company_id) AS (VALUES %(shops)s)
            INSERT INTO optical_contact_log (
                partner_id, company_id, channel, purpose, datetime, is_control,
                res_model, res_id, create_date, write_date, create_uid, write_uid)
            SELECT b.id, shop.company_id, 'sms', 'marketing',
                   %(today)s::timestamp - make_interval(secs => random() * 730 * 86400),
                   random() < 0.05,
                   CASE WHEN random() < 0.6 THEN 'optical.campaign'
                        ELSE 'optical.cycle.step' END,
                   1 + (random() * 40)::int, NOW(), NOW(), 1, 1
              FROM bench_partner b
             CROSS JOIN generate_series(1, 4) g
              JOIN shop ON shop.n = b.home
             WHERE random() < %(share)s
            """,
            shops=SQL(", ").join(
                SQL("(%s, %s)", n, shop["id"]) for n, shop in enumerate(shops)
            ),
            today=today,
            share=messages / (4.0 * max(partners, 1)),
        )
    )
    cr.execute(
        SQL(
            """
            WITH shop(n, company_id) AS (VALUES %(shops)s)
            INSERT INTO optical_exam (partner_id, company_id, date, next_exam_date,
                                      create_date, write_date, create_uid, write_uid)
            SELECT b.id, shop.company_id, b.next_exam - 365, b.next_exam,
                   NOW(), NOW(), 1, 1
              FROM bench_partner b
              JOIN shop ON shop.n = b.home
             WHERE b.next_exam IS NOT NULL
             LIMIT %(n)s
            """,
            shops=SQL(", ").join(
                SQL("(%s, %s)", n, shop["id"]) for n, shop in enumerate(shops)
            ),
            n=exams,
        )
    )
    timings["messages_exams"] = time.perf_counter() - step
    # the documents written in SQL above reach the sales ledger, which the
    # profile, the value and the cycles read
    env.invalidate_all()
    env["optical.sale.line"]._optical_rebuild()
    for table in (
        "res_partner",
        "account_move",
        "account_move_line",
        "optical_contact_log",
        "optical_exam",
    ):
        cr.execute(SQL("ANALYZE %s", SQL.identifier(table)))
    env.invalidate_all()
    counts = {}
    for name, query in (
        ("partners", "SELECT COUNT(*) FROM bench_partner"),
        ("invoices", "SELECT COUNT(*) FROM account_move WHERE move_type='out_invoice'"),
        (
            "credit_notes",
            "SELECT COUNT(*) FROM account_move WHERE move_type='out_refund'",
        ),
        (
            "invoice_lines",
            "SELECT COUNT(*) FROM account_move_line WHERE display_type='product'",
        ),
        ("messages", "SELECT COUNT(*) FROM optical_contact_log"),
        ("exams", "SELECT COUNT(*) FROM optical_exam"),
    ):
        cr.execute(query)
        counts[name] = cr.fetchone()[0]
    timings["total"] = time.perf_counter() - started
    return {
        "counts": counts,
        "timings": timings,
        "companies": [s["id"] for s in shops],
    }
