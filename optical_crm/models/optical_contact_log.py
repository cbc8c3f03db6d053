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
    def _optical_attribution(self, res_model, res_ids, window_days=30):
        """Conversions and revenue that followed the messages of ``res_ids``.

        A customer invoice posted by the same shop (``invoice_date`` from the day of
        the message to ``window_days`` later) is attributed to the *latest* message
        the customer received before it (last touch), so that two campaigns never
        claim the same invoice. Credit notes reversing those invoices are deducted.
        Control-group rows compete like messages, so that their "conversions" are
        what would have happened anyway.

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
        self.env["account.move"].flush_model()
        self.flush_model()
        query = SQL(
            """
            WITH msg AS (
                SELECT id, partner_id, company_id, datetime, is_control, res_id
                  FROM optical_contact_log
                 WHERE res_model = %(model)s AND res_id = ANY(%(ids)s)
            ), touch AS (
                SELECT DISTINCT ON (mv.id)
                       mv.id AS move_id, mv.amount_untaxed_signed AS amount,
                       l.id AS log_id
                  FROM msg
                  JOIN account_move mv
                    ON mv.partner_id = msg.partner_id
                   AND mv.company_id = msg.company_id
                   AND mv.move_type = 'out_invoice' AND mv.state = 'posted'
                   AND mv.invoice_date >= msg.datetime::date
                   AND mv.invoice_date <= msg.datetime::date + %(window)s
                  JOIN optical_contact_log l
                    ON l.partner_id = mv.partner_id
                   AND l.company_id = mv.company_id
                   AND l.purpose = 'marketing'
                   AND l.datetime::date <= mv.invoice_date
                   AND mv.invoice_date <= l.datetime::date + %(window)s
                 ORDER BY mv.id, l.datetime DESC, l.id DESC
            ), refunds AS (
                SELECT rv.reversed_entry_id AS move_id,
                       SUM(rv.amount_untaxed_signed) AS amount
                  FROM account_move rv
                 WHERE rv.reversed_entry_id IN (SELECT move_id FROM touch)
                   AND rv.state = 'posted' AND rv.move_type = 'out_refund'
                 GROUP BY rv.reversed_entry_id
            )
            SELECT msg.res_id, msg.is_control, COUNT(DISTINCT msg.partner_id),
                   COUNT(DISTINCT msg.partner_id) FILTER (WHERE t.move_id IS NOT NULL),
                   COALESCE(SUM(t.amount + COALESCE(r.amount, 0)), 0)
              FROM msg
              LEFT JOIN touch t ON t.log_id = msg.id
              LEFT JOIN refunds r ON r.move_id = t.move_id
             GROUP BY msg.res_id, msg.is_control
            """,
            model=res_model,
            ids=list(res_ids),
            window=int(window_days),
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
