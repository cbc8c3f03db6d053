from odoo import api, fields, models
from odoo.tools import SQL

from .optical_consent import CONSENT_PURPOSES

LOG_CHANNELS = [
    ("sms", "SMS"),
    ("email", "Email"),
    ("phone", "Phone call"),
    ("app", "App"),
]


class OpticalContactLog(models.Model):
    """Every outbound message to a customer, from a campaign or a cycle, once.

    The single ledger behind frequency caps, hourly throttles, revenue attribution
    and the customer timeline. Rows with ``is_control`` are the control group: people
    deliberately *not* contacted, logged so that the uplift can be measured.
    """

    _name = "optical.contact.log"
    _description = "Outbound message log"
    _order = "datetime desc, id desc"
    _rec_name = "partner_id"

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(
        "res.company",
        string="Shop",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    channel = fields.Selection(LOG_CHANNELS, required=True)
    purpose = fields.Selection(CONSENT_PURPOSES, required=True, default="marketing")
    datetime = fields.Datetime(
        string="Sent on", required=True, default=fields.Datetime.now, index=True
    )
    is_control = fields.Boolean(
        string="Control group",
        help="Held out on purpose: not contacted, counted to measure the uplift.",
    )
    res_model = fields.Char(string="Origin model", required=True, index=True)
    res_id = fields.Many2oneReference(
        string="Origin", model_field="res_model", required=True, index=True
    )
    mailing_id = fields.Many2one("mailing.mailing", index="btree_not_null")
    mailing_trace_id = fields.Many2one(
        "mailing.trace", string="Trace", index="btree_not_null", ondelete="set null"
    )

    def init(self):
        self.env.cr.execute(
            "CREATE INDEX IF NOT EXISTS optical_contact_log_partner_dt_idx "
            "ON optical_contact_log (partner_id, datetime DESC)"
        )

    @api.model
    def _optical_attributed_sql(
        self,
        company_ids=None,
        date_from=None,
        date_to=None,
        res_model=None,
        res_ids=None,
    ):
        """The attribution rule, in one place: the purchases of the sales ledger
        with the marketing message they are attributed to.

        A purchase (a sale not wholly refunded, of any kind: invoice, sales
        receipt, point of sale order, purchase imported or sent by another system;
        see ``optical.sale.line._optical_sales_sql``) of a customer is attributed
        to the *latest* marketing message (last touch) that the same shop sent to
        the same customer with the sale dated from the message's day to the shop's
        attribution window (``res.company.optical_attribution_days``) later; a sale
        dated the day of the message counts only if it was made after the message
        (the creation of its invoice or receipt; for other sales, the time it came
        into the ledger). Control-group rows compete like messages, so that their
        "conversions" are what would have happened anyway. The amount is untaxed in
        the shop's currency, less the refunds reversing the sale. Campaign results,
        cycle step results and the value dashboard all read this query.

        Restrict with ``company_ids`` and sale date bounds (dashboard), or with the
        messages of ``res_model``/``res_ids`` (campaigns, cycle steps): then only
        the sales of their customers are looked at, but the last touch is still
        chosen among all the messages.

        Columns: ``origin_key`` (the sale), ``move_id`` (its invoice or receipt,
        if it is one), ``partner_id, company_id, sale_date, amount, log_id,
        res_model, res_id, is_control``.
        """
        lines = []
        where = [SQL("sa.is_purchase")]
        if date_from:
            lines.append(SQL("s.sale_date >= %s", date_from))
            where.append(SQL("sa.sale_date >= %s", date_from))
        if date_to:
            lines.append(SQL("s.sale_date <= %s", date_to))
            where.append(SQL("sa.sale_date <= %s", date_to))
        if res_model:
            messages = SQL(
                "SELECT m.partner_id, m.company_id, m.datetime"
                " FROM optical_contact_log m"
                " WHERE m.res_model = %s AND m.res_id = ANY(%s)",
                res_model,
                list(res_ids or []),
            )
            lines.append(
                SQL(
                    "(s.partner_id, s.company_id) IN"
                    " (SELECT partner_id, company_id FROM (%s) msg)",
                    messages,
                )
            )
            where.append(
                SQL(
                    "sa.sale_date >= (SELECT MIN(datetime)::date FROM (%s) msg)",
                    messages,
                )
            )
        sales = self.env["optical.sale.line"]._optical_sales_sql(
            company_ids, where=SQL(" AND ").join(lines) if lines else None
        )
        return SQL(
            """
            SELECT sa.origin_key, sa.move_id, sa.partner_id, sa.company_id,
                   sa.sale_date, sa.amount,
                   touch.id AS log_id, touch.res_model, touch.res_id,
                   touch.is_control
              FROM (%(sales)s) sa
              JOIN res_company co ON co.id = sa.company_id
              LEFT JOIN account_move mv ON mv.id = sa.move_id
             CROSS JOIN LATERAL (
                    SELECT lg.id, lg.res_model, lg.res_id, lg.is_control
                      FROM optical_contact_log lg
                     WHERE lg.partner_id = sa.partner_id
                       AND lg.company_id = sa.company_id
                       AND lg.purpose = 'marketing'
                       AND lg.datetime >= sa.sale_date
                           - COALESCE(co.optical_attribution_days, 30)
                       AND lg.datetime < sa.sale_date + 1
                       AND (lg.datetime < sa.sale_date
                            OR lg.datetime < COALESCE(mv.create_date,
                                                      sa.recorded_at))
                     ORDER BY lg.datetime DESC, lg.id DESC
                     LIMIT 1
                   ) touch
             WHERE %(where)s
            """,
            sales=sales,
            where=SQL(" AND ").join(where),
        )

    @api.model
    def _optical_attribution(self, res_model, res_ids):
        """Conversions and revenue that followed the messages of ``res_ids``, by the
        rule of :meth:`_optical_attributed_sql`.

        :return: ``{res_id: {"sent": n, "converted": n, "revenue": amount,
            "control": n, "control_converted": n, "control_revenue": amount}}``
        """
        result = {
            res_id: dict.fromkeys(
                (
                    "sent",
                    "converted",
                    "revenue",
                    "control",
                    "control_converted",
                    "control_revenue",
                ),
                0,
            )
            for res_id in res_ids
        }
        if not res_ids:
            return result
        self.env["optical.sale.line"].flush_model()
        self.env["account.move"].flush_model(["create_date"])
        self.env["res.company"].flush_model(["optical_attribution_days"])
        self.flush_model()
        query = SQL(
            """
            WITH att AS (%(attributed)s)
            SELECT msg.res_id, msg.is_control, COUNT(DISTINCT msg.partner_id),
                   COUNT(DISTINCT msg.partner_id)
                       FILTER (WHERE t.origin_key IS NOT NULL),
                   COALESCE(SUM(t.amount), 0)
              FROM optical_contact_log msg
              LEFT JOIN att t ON t.log_id = msg.id
             WHERE msg.res_model = %(model)s AND msg.res_id = ANY(%(ids)s)
             GROUP BY msg.res_id, msg.is_control
            """,
            attributed=self._optical_attributed_sql(
                res_model=res_model, res_ids=res_ids
            ),
            model=res_model,
            ids=list(res_ids),
        )
        for res_id, is_control, people, converted, revenue in self.env.execute_query(
            query
        ):
            prefix = "control_" if is_control else ""
            row = result[res_id]
            row["control" if is_control else "sent"] = people
            row[f"{prefix}converted"] = converted
            row[f"{prefix}revenue"] = revenue
        return result
