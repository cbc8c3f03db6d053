"""Value of each customer for each shop, refreshed in SQL.

Definitions (the single place where they live; the dashboard, the recall lists and
the timeline build on them):

* **Sales**: the shop's rows of the sales ledger (``optical.sale.line``), whatever
  the document: posted customer invoices and sales receipts, point of sale orders,
  purchases imported or sent by other systems, and their refunds (credit notes,
  refunded orders), on the document's customer (the commercial partner, not the
  delivery contact). A **sale** is a document with the refunds that reverse it
  (``optical.sale.line._optical_sales_sql``), dated on the document's date; a
  refund without known origin is a sale of its own, negative.
* **Amounts** are the ledger's: untaxed (VAT is collected for the State, it is not
  the shop's revenue; campaign attribution uses the same amount), signed (refunds
  negative) and in the **company currency** (at the invoice's rate for invoices in
  other currencies), so that they add up.
* **LTV**: the sum of those amounts, sales less refunds.
* **Purchase**: a sale whose amount, less the refunds that reverse it, is still
  positive: a wholly refunded sale is no purchase. Purchases on the same day are
  one purchase (a visit: frame and lenses are often invoiced apart, a receipt and
  an invoice may come from the same visit). **Purchase count** counts those days.
* **Sale documents** and **refunds**: how many documents of each the customer has
  in the shop (a document wholly made of refund lines is a refund).
* **Average ticket** = LTV / purchase count; **average interval** = days between the
  first and the last purchase / (purchase count - 1).
* **R/F/M scores** (1-5, quintiles within the shop, among its customers with at
  least one purchase): recency = last purchase date, frequency = purchase count,
  monetary = LTV; ``score = 1 + floor(5 * share of the shop's customers with a
  strictly lower value)`` — SQL ``ntile(5)``, except that equal values get the same
  score (with ``ntile`` two customers with one purchase each could land in
  different quintiles).
* **Segment**, the first rule that matches (``today`` = day of the refresh):

  ``no_purchase``  no purchase (only refunds, or sales wholly refunded);
  ``lapsed``       no purchase in the last 18 months;
  ``at_risk``      last purchase 12 to 18 months ago (lapses within 6 months);
  ``new``          first purchase in the last 12 months;
  ``champions``    R, F and M all >= 4;
  ``loyal``        F >= 4 (buys more often than most);
  ``regular``      everybody else.
* **Forecast per optical category** (from the customer's own history in the shop):
  next purchase = last purchase of the category + average interval between the
  purchase days of that category (needs two of them; the categories of a sale are
  those of its ledger lines, refunds left aside); contact lenses use the run-out
  date of the customer's lenses (``res.partner.optical_cl_runout_date``) when known.
  The customer's **next purchase** is the earliest forecast (it may be overdue).

Refresh: :meth:`_optical_refresh_value` (set-based SQL, ``INSERT ... ON CONFLICT``)
for everything (nightly scheduled action, one company at a time) or for given
customers: those whose sales changed lately (a sale recorded, reset to draft,
cancelled or refunded, an imported purchase corrected: see
``optical.sale.line._optical_changed_partners``), by a scheduled action every few
minutes, so that recording a sale never waits for it (and needs no hook: the write
dates say who changed).
"""

import threading

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .product_template import OPTICAL_CATEGORIES

RECENT_PARAM = "optical_crm.value_refreshed_at"
# a document written by a transaction that started before the last run and
# committed after it is still taken at the next run
RECENT_MARGIN = relativedelta(hours=1)

LAPSED_MONTHS = 18
AT_RISK_MONTHS = 12
NEW_MONTHS = 12

VALUE_SEGMENTS = [
    ("champions", "Champions"),
    ("loyal", "Loyal"),
    ("new", "New"),
    ("regular", "Regular"),
    ("at_risk", "At risk"),
    ("lapsed", "Lapsed"),
    ("no_purchase", "No purchase"),
]
FORECAST_BASES = [
    ("interval", "Own purchase interval"),
    ("cl_runout", "Contact lens run-out"),
]


class OpticalCustomerValue(models.Model):
    _name = "optical.customer.value"
    _description = "Customer value per shop"
    _order = "company_id, ltv desc, id"
    _rec_name = "partner_id"

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
    )
    company_id = fields.Many2one(
        "res.company",
        string="Shop",
        required=True,
        readonly=True,
        index=True,
        default=lambda self: self.env.company,
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    ltv = fields.Monetary(
        string="Lifetime value",
        readonly=True,
        help="Sales less refunds (invoices, sales receipts, point of sale, imported "
        "purchases and purchases from other systems), untaxed, in the shop's "
        "currency.",
    )
    purchase_count = fields.Integer(
        string="Purchases",
        readonly=True,
        help="Days with at least one sale that was not wholly refunded.",
    )
    invoice_count = fields.Integer(
        string="Sale documents",
        readonly=True,
        help="Invoices, sales receipts, point of sale orders and purchases "
        "recorded without document.",
    )
    refund_count = fields.Integer(
        string="Refunds", readonly=True, help="Credit notes and other refunds."
    )
    avg_ticket = fields.Monetary(
        string="Average ticket",
        readonly=True,
        aggregator="avg",
        help="Lifetime value divided by the number of purchases.",
    )
    first_purchase_date = fields.Date(string="First purchase", readonly=True)
    last_purchase_date = fields.Date(string="Last purchase", readonly=True)
    avg_interval_days = fields.Float(
        string="Average interval (days)",
        digits=(16, 1),
        readonly=True,
        aggregator="avg",
        help="Average number of days between two purchases.",
    )
    r_score = fields.Integer(
        string="Recency score",
        readonly=True,
        aggregator="avg",
        help="1-5: quintile of the last purchase date among the shop's customers.",
    )
    f_score = fields.Integer(
        string="Frequency score",
        readonly=True,
        aggregator="avg",
        help="1-5: quintile of the number of purchases among the shop's customers.",
    )
    m_score = fields.Integer(
        string="Monetary score",
        readonly=True,
        aggregator="avg",
        help="1-5: quintile of the lifetime value among the shop's customers.",
    )
    segment = fields.Selection(
        VALUE_SEGMENTS,
        readonly=True,
        help="Champions: R, F and M at least 4. Loyal: frequency at least 4. "
        "New: first purchase in the last 12 months. At risk: last purchase 12 to "
        "18 months ago. Lapsed: no purchase in 18 months. No purchase: only "
        "refunds. Regular: the others.",
    )
    next_purchase_date = fields.Date(
        string="Next purchase (forecast)",
        readonly=True,
        help="Earliest forecast among the categories the customer buys.",
    )
    next_purchase_category = fields.Selection(
        OPTICAL_CATEGORIES, string="Next purchase of", readonly=True
    )
    forecast_ids = fields.One2many(
        "optical.customer.forecast", "value_id", string="Forecast per category"
    )

    _sql_constraints = [
        (
            "partner_company_uniq",
            "unique(partner_id, company_id)",
            "A customer has one value row per shop.",
        )
    ]

    def init(self):
        cr = self.env.cr
        # shop-wide ranking of one customer's figures (incremental refresh)
        for column in ("ltv", "purchase_count", "last_purchase_date"):
            cr.execute(
                SQL(
                    "CREATE INDEX IF NOT EXISTS %s ON optical_customer_value "
                    "(company_id, %s) WHERE purchase_count > 0",
                    SQL.identifier(f"optical_customer_value_rank_{column}_idx"),
                    SQL.identifier(column),
                )
            )

    # ------------------------------------------------------------------ actions
    def action_open_partner(self):
        self.ensure_one()
        return self.partner_id._get_records_action()

    # ------------------------------------------------------------------ SQL
    @api.model
    def _optical_lines_scope(self, company_ids=None, partner_ids=None):
        """The condition on the ledger lines ``s`` of these shops and customers."""
        scope = [SQL("TRUE")]
        if company_ids is not None:
            scope.append(SQL("s.company_id = ANY(%s)", list(company_ids)))
        if partner_ids is not None:
            scope.append(SQL("s.partner_id = ANY(%s)", list(partner_ids)))
        return SQL(" AND ").join(scope)

    @api.model
    def _optical_category_days_sql(self, sales, company_ids=None, partner_ids=None):
        """``partner_id, company_id, optical_category, sale_date``: the days each
        customer bought each optical category (the lines, refunds aside, of the
        ``sales`` that are purchases)."""
        return SQL(
            """
            SELECT s.partner_id, s.company_id, s.optical_category, s.sale_date
              FROM optical_sale_line s
              JOIN (%(sales)s) sa
                ON sa.partner_id = s.partner_id AND sa.company_id = s.company_id
               AND sa.origin_key = s.origin_key
             WHERE %(scope)s AND sa.is_purchase AND NOT s.is_refund
               AND s.optical_category IS NOT NULL
             GROUP BY s.partner_id, s.company_id, s.optical_category, s.sale_date
            """,
            sales=sales,
            scope=self._optical_lines_scope(company_ids, partner_ids),
        )

    @api.model
    def _optical_refresh_value(self, partner_ids=None, company_ids=None):
        """Recompute the value rows (and forecasts) in SQL.

        Without arguments: every customer of every shop. With ``company_ids``: the
        shops' customers (nightly, one shop at a time). With ``partner_ids``: those
        customers, in every shop or in ``company_ids`` (incremental, after sales
        events): their scores are placed among the shop's stored figures, the other
        customers' scores move at the next full refresh.
        """
        if partner_ids is not None:
            partner_ids = list(partner_ids)
            if not partner_ids:
                return
        if company_ids is not None:
            company_ids = list(company_ids)
            if not company_ids:
                return
        self.env["optical.sale.line"].flush_model()
        self.env["res.partner"].flush_model(["optical_cl_runout_date"])
        self.flush_model()
        self.env["optical.customer.forecast"].flush_model()

        today = fields.Date.context_today(self)
        sales = self.env["optical.sale.line"]._optical_sales_sql(
            company_ids, partner_ids
        )
        lines = self._optical_lines_scope(company_ids, partner_ids)
        category_days = self._optical_category_days_sql(sales, company_ids, partner_ids)
        scope = []
        if company_ids is not None:
            scope.append(SQL("company_id = ANY(%s)", company_ids))
        if partner_ids is not None:
            scope.append(SQL("partner_id = ANY(%s)", partner_ids))
        scope = SQL(" AND ").join(scope) if scope else SQL("TRUE")
        full = partner_ids is None
        cr = self.env.cr
        cr.execute(self._optical_upsert_values_sql(sales, lines))
        if full:
            # whole shops were (re)written: fresh statistics keep the next
            # statements on hash joins instead of nested loops over stale estimates
            cr.execute("ANALYZE optical_customer_value")
        cr.execute(
            SQL(
                """
                WITH keep AS MATERIALIZED (
                    SELECT DISTINCT partner_id, company_id FROM (%(sales)s) sa
                )
                DELETE FROM optical_customer_value v
                 WHERE %(scope)s
                   AND NOT EXISTS (SELECT 1 FROM keep
                                    WHERE keep.partner_id = v.partner_id
                                      AND keep.company_id = v.company_id)
                """,
                scope=scope,
                sales=sales,
            )
        )
        cr.execute(self._optical_upsert_forecasts_sql(category_days))
        if full:
            cr.execute("ANALYZE optical_customer_forecast")
        cr.execute(
            SQL(
                """
                WITH keep AS MATERIALIZED (
                    SELECT DISTINCT partner_id, company_id, optical_category
                      FROM (%(category_days)s) cd
                )
                DELETE FROM optical_customer_forecast f
                 WHERE %(scope)s
                   AND NOT EXISTS (SELECT 1 FROM keep
                                    WHERE keep.partner_id = f.partner_id
                                      AND keep.company_id = f.company_id
                                      AND keep.optical_category = f.optical_category)
                """,
                scope=scope,
                category_days=category_days,
            )
        )
        cr.execute(self._optical_scores_sql(scope, today, full=full))
        self.invalidate_model()
        self.env["optical.customer.forecast"].invalidate_model()

    @api.model
    def _optical_upsert_values_sql(self, sales, lines):
        """``sales``: the sales to count (``_optical_sales_sql``); ``lines``: the
        condition on the ledger lines ``s`` of the same customers and shops."""
        return SQL(
            """
            WITH sales AS (%(sales)s),
            days AS (
                SELECT partner_id, company_id, sale_date
                  FROM sales WHERE is_purchase
                 GROUP BY partner_id, company_id, sale_date
            ), visits AS (
                SELECT partner_id, company_id, COUNT(*) AS n,
                       MIN(sale_date) AS first_date, MAX(sale_date) AS last_date
                  FROM days GROUP BY partner_id, company_id
            ), documents AS (
                SELECT partner_id, company_id,
                       COUNT(*) FILTER (WHERE NOT refund) AS invoices,
                       COUNT(*) FILTER (WHERE refund) AS refunds
                  FROM (SELECT s.partner_id, s.company_id, s.document_key,
                               BOOL_AND(s.is_refund) AS refund
                          FROM optical_sale_line s
                         WHERE %(lines)s
                         GROUP BY s.partner_id, s.company_id, s.document_key) d
                 GROUP BY partner_id, company_id
            ), totals AS (
                SELECT t.partner_id, t.company_id, t.ltv,
                       COALESCE(d.invoices, 0) AS invoices,
                       COALESCE(d.refunds, 0) AS refunds
                  FROM (SELECT partner_id, company_id, SUM(amount) AS ltv
                          FROM sales GROUP BY partner_id, company_id) t
                  LEFT JOIN documents d
                    ON d.partner_id = t.partner_id AND d.company_id = t.company_id
            )
            INSERT INTO optical_customer_value AS cv (
                partner_id, company_id, ltv, purchase_count, invoice_count,
                refund_count, avg_ticket, first_purchase_date, last_purchase_date,
                avg_interval_days, create_uid, create_date, write_uid, write_date)
            SELECT t.partner_id, t.company_id, t.ltv, COALESCE(v.n, 0), t.invoices,
                   t.refunds,
                   CASE WHEN v.n > 0 THEN ROUND(t.ltv / v.n, 2) END,
                   v.first_date, v.last_date,
                   CASE WHEN v.n > 1
                        THEN ROUND((v.last_date - v.first_date)::numeric / (v.n - 1), 1)
                   END,
                   %(uid)s, NOW() AT TIME ZONE 'UTC', %(uid)s, NOW() AT TIME ZONE 'UTC'
              FROM totals t
              LEFT JOIN visits v
                ON v.partner_id = t.partner_id AND v.company_id = t.company_id
            ON CONFLICT (partner_id, company_id) DO UPDATE SET
                ltv = EXCLUDED.ltv,
                purchase_count = EXCLUDED.purchase_count,
                invoice_count = EXCLUDED.invoice_count,
                refund_count = EXCLUDED.refund_count,
                avg_ticket = EXCLUDED.avg_ticket,
                first_purchase_date = EXCLUDED.first_purchase_date,
                last_purchase_date = EXCLUDED.last_purchase_date,
                avg_interval_days = EXCLUDED.avg_interval_days,
                write_uid = EXCLUDED.write_uid,
                write_date = EXCLUDED.write_date
            WHERE (cv.ltv, cv.purchase_count, cv.invoice_count, cv.refund_count,
                   cv.first_purchase_date, cv.last_purchase_date)
                  IS DISTINCT FROM
                  (EXCLUDED.ltv, EXCLUDED.purchase_count, EXCLUDED.invoice_count,
                   EXCLUDED.refund_count, EXCLUDED.first_purchase_date,
                   EXCLUDED.last_purchase_date)
            """,
            sales=sales,
            lines=lines,
            uid=self.env.uid,
        )

    @api.model
    def _optical_upsert_forecasts_sql(self, category_days):
        return SQL(
            """
            WITH cat_days AS (%(category_days)s),
            cat AS (
                SELECT partner_id, company_id, optical_category, COUNT(*) AS n,
                       MAX(sale_date) AS last_date,
                       CASE WHEN COUNT(*) > 1
                            THEN ROUND((MAX(sale_date) - MIN(sale_date))::numeric
                                       / (COUNT(*) - 1))::int
                       END AS interval_days
                  FROM cat_days
                 GROUP BY partner_id, company_id, optical_category
            )
            INSERT INTO optical_customer_forecast AS fc (
                value_id, partner_id, company_id, optical_category, purchase_count,
                last_purchase_date, avg_interval_days, next_purchase_date, basis,
                create_uid, create_date, write_uid, write_date)
            SELECT v.id, c.partner_id, c.company_id, c.optical_category, c.n,
                   c.last_date, c.interval_days,
                   CASE WHEN c.optical_category = 'contact_lens'
                             AND %(runout)s IS NOT NULL
                        THEN %(runout)s
                        ELSE c.last_date + c.interval_days
                   END,
                   CASE WHEN c.optical_category = 'contact_lens'
                             AND %(runout)s IS NOT NULL
                        THEN 'cl_runout'
                        WHEN c.interval_days IS NOT NULL THEN 'interval'
                   END,
                   %(uid)s, NOW() AT TIME ZONE 'UTC', %(uid)s, NOW() AT TIME ZONE 'UTC'
              FROM cat c
              JOIN optical_customer_value v
                ON v.partner_id = c.partner_id AND v.company_id = c.company_id
              JOIN res_partner p ON p.id = c.partner_id
            ON CONFLICT (partner_id, company_id, optical_category) DO UPDATE SET
                value_id = EXCLUDED.value_id,
                purchase_count = EXCLUDED.purchase_count,
                last_purchase_date = EXCLUDED.last_purchase_date,
                avg_interval_days = EXCLUDED.avg_interval_days,
                next_purchase_date = EXCLUDED.next_purchase_date,
                basis = EXCLUDED.basis,
                write_uid = EXCLUDED.write_uid,
                write_date = EXCLUDED.write_date
            WHERE (fc.value_id, fc.purchase_count, fc.last_purchase_date,
                   fc.next_purchase_date, fc.basis)
                  IS DISTINCT FROM
                  (EXCLUDED.value_id, EXCLUDED.purchase_count,
                   EXCLUDED.last_purchase_date, EXCLUDED.next_purchase_date,
                   EXCLUDED.basis)
            """,
            category_days=category_days,
            uid=self.env.uid,
            # the contact lenses' run-out date of the row's shop
            runout=self.env["res.partner"]._optical_profile_sql(
                "p", "optical_cl_runout_date", SQL("c.company_id")
            ),
        )

    @api.model
    def _optical_scores_sql(self, scope, today, full):
        """R/F/M scores, segment and next purchase of the rows in ``scope``.

        ``full``: the scope holds whole shops, ranked with window functions;
        otherwise each row is placed among its shop's stored rows (same formula).
        """
        if full:
            ranks = SQL(
                """
                SELECT id, company_id,
                       RANK() OVER (PARTITION BY company_id
                                    ORDER BY last_purchase_date) - 1 AS r_below,
                       RANK() OVER (PARTITION BY company_id
                                    ORDER BY purchase_count) - 1 AS f_below,
                       RANK() OVER (PARTITION BY company_id
                                    ORDER BY ltv) - 1 AS m_below,
                       COUNT(*) OVER (PARTITION BY company_id) AS total
                  FROM optical_customer_value
                 WHERE %(scope)s AND purchase_count > 0
                """,
                scope=scope,
            )
        else:
            ranks = SQL(
                """
                SELECT v.id, v.company_id,
                       (SELECT COUNT(*) FROM optical_customer_value o
                         WHERE o.company_id = v.company_id AND o.purchase_count > 0
                           AND o.last_purchase_date < v.last_purchase_date) AS r_below,
                       (SELECT COUNT(*) FROM optical_customer_value o
                         WHERE o.company_id = v.company_id AND o.purchase_count > 0
                           AND o.purchase_count < v.purchase_count) AS f_below,
                       (SELECT COUNT(*) FROM optical_customer_value o
                         WHERE o.company_id = v.company_id AND o.purchase_count > 0
                           AND o.ltv < v.ltv) AS m_below,
                       (SELECT COUNT(*) FROM optical_customer_value o
                         WHERE o.company_id = v.company_id AND o.purchase_count > 0
                       ) AS total
                  FROM optical_customer_value v
                 WHERE %(scope)s AND v.purchase_count > 0
                """,
                scope=scope,
            )
        return SQL(
            """
            WITH ranks AS (%(ranks)s),
            scores AS (
                SELECT id,
                       1 + FLOOR(5.0 * r_below / total)::int AS r,
                       1 + FLOOR(5.0 * f_below / total)::int AS f,
                       1 + FLOOR(5.0 * m_below / total)::int AS m
                  FROM ranks
            ), nxt AS (
                SELECT DISTINCT ON (value_id) value_id, next_purchase_date,
                       optical_category
                  FROM optical_customer_forecast
                 WHERE %(scope)s AND next_purchase_date IS NOT NULL
                 ORDER BY value_id, next_purchase_date, optical_category
            ), computed AS (
                SELECT v.id, s.r, s.f, s.m,
                       CASE
                           WHEN v.purchase_count = 0 THEN 'no_purchase'
                           WHEN v.last_purchase_date < %(lapsed)s THEN 'lapsed'
                           WHEN v.last_purchase_date < %(at_risk)s THEN 'at_risk'
                           WHEN v.first_purchase_date >= %(new)s THEN 'new'
                           WHEN s.r >= 4 AND s.f >= 4 AND s.m >= 4 THEN 'champions'
                           WHEN s.f >= 4 THEN 'loyal'
                           ELSE 'regular'
                       END AS segment,
                       nxt.next_purchase_date, nxt.optical_category
                  FROM optical_customer_value v
                  LEFT JOIN scores s ON s.id = v.id
                  LEFT JOIN nxt ON nxt.value_id = v.id
                 WHERE %(scope)s
            )
            UPDATE optical_customer_value v
               SET r_score = c.r, f_score = c.f, m_score = c.m, segment = c.segment,
                   next_purchase_date = c.next_purchase_date,
                   next_purchase_category = c.optical_category
              FROM computed c
             WHERE v.id = c.id
               AND (v.r_score, v.f_score, v.m_score, v.segment, v.next_purchase_date,
                    v.next_purchase_category)
                   IS DISTINCT FROM
                   (c.r, c.f, c.m, c.segment, c.next_purchase_date, c.optical_category)
            """,
            ranks=ranks,
            scope=scope,
            lapsed=today - relativedelta(months=LAPSED_MONTHS),
            at_risk=today - relativedelta(months=AT_RISK_MONTHS),
            new=today - relativedelta(months=NEW_MONTHS),
        )

    # ------------------------------------------------------------------ cron
    @api.model
    def _optical_schedule_first_refresh(self):
        """At install: fill the table from the existing sales in the background,
        without waiting for the first night."""
        self.env.ref("optical_crm.ir_cron_optical_value_refresh")._trigger()

    @api.model
    def _optical_cron_refresh_recent(self, batch=1000):
        """Every few minutes: the customers whose sales changed since the last
        run (less a margin for transactions that committed late), per shop, in
        bounded batches, one transaction per batch."""
        params = self.env["ir.config_parameter"].sudo()
        started = self.env.cr.now()
        last = params.get_param(RECENT_PARAM)
        since = (
            fields.Datetime.to_datetime(last) - RECENT_MARGIN
            if last
            else started - relativedelta(days=1)
        )
        changed = self.env["optical.sale.line"]._optical_changed_partners(since)
        auto_commit = not getattr(threading.current_thread(), "testing", False)
        for company_id, partner_ids in changed.items():
            for index in range(0, len(partner_ids), batch):
                self.sudo()._optical_refresh_value(
                    partner_ids=partner_ids[index : index + batch],
                    company_ids=[company_id],
                )
                if auto_commit:
                    self.env.cr.commit()  # pylint: disable=invalid-commit
        params.set_param(RECENT_PARAM, fields.Datetime.to_string(started))

    @api.model
    def _optical_cron_refresh_value(self):
        """Nightly: every shop's customers, one shop per transaction."""
        companies = self.env["res.company"].sudo().search([])
        auto_commit = not getattr(threading.current_thread(), "testing", False)
        for done, company in enumerate(companies, start=1):
            self.sudo()._optical_refresh_value(company_ids=company.ids)
            if auto_commit:
                self.env["ir.cron"]._notify_progress(
                    done=done, remaining=len(companies) - done
                )
                # one shop per transaction, at the cron batch boundary
                self.env.cr.commit()  # pylint: disable=invalid-commit
