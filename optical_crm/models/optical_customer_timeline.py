from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .optical_consent import CONSENT_PURPOSES
from .optical_touchpoint import TOUCHPOINT_CHANNELS, TOUCHPOINT_KINDS

TIMELINE_KINDS = [
    ("sale", "Purchase"),
    ("refund", "Refund"),
    ("exam", "Eye exam"),
    ("prescription", "Prescription"),
    ("message", "Message sent"),
    ("click", "Link clicked"),
    ("touchpoint", "Touchpoint"),
    ("consent", "Consent"),
]
TIMELINE_OUTCOMES = [
    # mailing.trace statuses of the message
    ("outgoing", "Outgoing"),
    ("process", "Processing"),
    ("pending", "Sent"),
    ("sent", "Delivered"),
    ("open", "Opened"),
    ("reply", "Replied"),
    ("bounce", "Bounced"),
    ("error", "Failed"),
    ("cancel", "Cancelled"),
    # messages without a mailing trace (phone calls)
    ("logged", "Recorded"),
    # consents
    ("granted", "Granted"),
    ("revoked", "Revoked"),
]
TIMELINE_ORIGINS = [
    ("campaign", "Campaign"),
    ("cycle", "Cycle"),
    ("other", "Other"),
]
# models whose documents have their own timeline rows: touchpoints recorded for them
# are the same event (so are the documents of every source of the sales ledger)
DOCUMENT_MODELS = ("account.move", "optical.exam", "optical.prescription")


class OpticalCustomerTimeline(models.Model):
    """Everything that happened with a customer, newest first, from every source.

    A read-only SQL view (``UNION ALL`` of the sales ledger, one row per sale
    document of any kind: invoice, sales receipt, credit note, point of sale
    order, imported purchase, purchase from another system; eye exams,
    prescriptions, messages with their mailing-trace outcome, link clicks, the
    other touchpoints and consents). Record rules keep the shops apart and hide
    eye exams and prescriptions (``is_health``, also eye exams recorded as
    touchpoints) from users who are not optometrists.
    """

    _name = "optical.customer.timeline"
    _inherit = ["optical.health.mixin"]
    _description = "Customer timeline"
    # rendering a message: the rows that are not health data only
    _optical_health_domain = [("is_health", "=", False)]
    _auto = False
    _order = "datetime desc, id desc"
    _rec_name = "kind"
    _depends = {
        "optical.sale.line": [
            "document_key",
            "document_name",
            "kind",
            "res_model",
            "res_id",
            "partner_id",
            "company_id",
            "date",
            "amount",
            "is_refund",
        ],
        "optical.exam": ["partner_id", "company_id", "date"],
        "optical.prescription": ["partner_id", "company_id", "date"],
        "optical.contact.log": [
            "partner_id",
            "company_id",
            "datetime",
            "channel",
            "purpose",
            "is_control",
            "res_model",
            "res_id",
            "mailing_id",
            "mailing_trace_id",
        ],
        "mailing.trace": ["trace_status", "mass_mailing_id"],
        "mailing.mailing": ["subject"],
        "link.tracker.click": ["mailing_trace_id", "link_id"],
        "link.tracker": ["url"],
        "optical.touchpoint": [
            "partner_id",
            "company_id",
            "datetime",
            "channel",
            "kind",
            "summary",
            "res_model",
            "res_id",
        ],
        "optical.consent": [
            "partner_id",
            "company_id",
            "date",
            "channel",
            "purpose",
            "granted",
            "note",
        ],
    }

    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", string="Shop", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    datetime = fields.Datetime(string="When", readonly=True)
    date = fields.Date(readonly=True)
    kind = fields.Selection(TIMELINE_KINDS, string="Event", readonly=True)
    channel = fields.Selection(TOUCHPOINT_CHANNELS, readonly=True)
    touchpoint_kind = fields.Selection(TOUCHPOINT_KINDS, readonly=True)
    sale_kind = fields.Selection(
        selection="_selection_sale_kind",
        string="Sale document",
        readonly=True,
        help="Purchases and refunds: the kind of document (invoice, sales receipt, "
        "credit note, point of sale order, imported purchase...).",
    )
    purpose = fields.Selection(CONSENT_PURPOSES, readonly=True)
    origin = fields.Selection(
        TIMELINE_ORIGINS,
        readonly=True,
        help="What sent the message: a campaign or a step of a cycle.",
    )
    summary = fields.Char(string="Details", readonly=True)
    outcome = fields.Selection(TIMELINE_OUTCOMES, readonly=True)
    amount = fields.Monetary(
        readonly=True, help="Untaxed, in the shop's currency; refunds negative."
    )
    is_health = fields.Boolean(
        string="Health data",
        readonly=True,
        help="Eye exams and prescriptions: shown to optometrists only.",
    )
    res_model = fields.Char(string="Document model", readonly=True)
    res_id = fields.Many2oneReference(
        string="Document", model_field="res_model", readonly=True
    )

    def _selection_sale_kind(self):
        # the sales ledger's kinds, with those the addons add (point of sale)
        return (
            self.env["optical.sale.line"]
            ._fields["kind"]
            ._description_selection(self.env)
        )

    @property
    def _table_query(self):
        # touchpoints standing for a document of their own (an invoice, an exam,
        # a point of sale order...) or that are themselves a sale in the ledger
        # (imported purchases, purchases from other systems) are not repeated
        documents = set(DOCUMENT_MODELS)
        documents |= set(self.env["optical.sale.line"]._optical_ledger_sources())
        documents.discard(self.env["optical.touchpoint"]._name)
        return SQL(
            """
            SELECT MIN(sl.id)::bigint * 10 + 1 AS id, sl.partner_id, sl.company_id,
                   COALESCE(MIN(stp.datetime), MIN(sl.date)::timestamp) AS datetime,
                   MIN(sl.date) AS date,
                   CASE WHEN BOOL_AND(sl.is_refund) THEN 'refund'
                        ELSE 'sale' END AS kind,
                   COALESCE(MIN(stp.channel), 'store') AS channel,
                   NULL AS touchpoint_kind, MIN(sl.kind) AS sale_kind,
                   NULL AS purpose, NULL AS origin, MIN(sl.document_name) AS summary,
                   NULL AS outcome, SUM(sl.amount) AS amount, FALSE AS is_health,
                   MIN(sl.res_model) AS res_model, MIN(sl.res_id) AS res_id
              FROM optical_sale_line sl
              LEFT JOIN optical_touchpoint stp
                ON sl.res_model = 'optical.touchpoint' AND stp.id = sl.res_id
             GROUP BY sl.document_key, sl.partner_id, sl.company_id
            UNION ALL
            SELECT ex.id::bigint * 10 + 2, ex.partner_id, ex.company_id,
                   ex.date::timestamp, ex.date, 'exam', 'store', NULL, NULL, NULL,
                   NULL, NULL, NULL, NULL, TRUE, 'optical.exam', ex.id
              FROM optical_exam ex
            UNION ALL
            SELECT rx.id::bigint * 10 + 3, rx.partner_id, rx.company_id,
                   rx.date::timestamp, rx.date, 'prescription', 'store', NULL, NULL,
                   NULL, NULL, NULL, NULL, NULL, TRUE, 'optical.prescription',
                   rx.id
              FROM optical_prescription rx
            UNION ALL
            SELECT lg.id::bigint * 10 + 4, lg.partner_id, lg.company_id, lg.datetime,
                   lg.datetime::date, 'message', lg.channel, NULL, NULL, lg.purpose,
                   %(origin)s, mm.subject, COALESCE(tr.trace_status, 'logged'), NULL,
                   FALSE, lg.res_model, lg.res_id
              FROM optical_contact_log lg
              LEFT JOIN mailing_trace tr ON tr.id = lg.mailing_trace_id
              LEFT JOIN mailing_mailing mm
                ON mm.id = COALESCE(lg.mailing_id, tr.mass_mailing_id)
             WHERE lg.is_control IS NOT TRUE
            UNION ALL
            SELECT ck.id::bigint * 10 + 5, lg.partner_id, lg.company_id,
                   ck.create_date, ck.create_date::date, 'click', lg.channel, NULL,
                   NULL, lg.purpose, %(origin)s, lt.url, NULL, NULL, FALSE,
                   'link.tracker', lt.id
              FROM optical_contact_log lg
              JOIN link_tracker_click ck ON ck.mailing_trace_id = lg.mailing_trace_id
              JOIN link_tracker lt ON lt.id = ck.link_id
             WHERE lg.is_control IS NOT TRUE
            UNION ALL
            SELECT tp.id::bigint * 10 + 6, tp.partner_id, tp.company_id, tp.datetime,
                   tp.datetime::date, 'touchpoint', tp.channel, tp.kind, NULL, NULL,
                   NULL, tp.summary, NULL, NULL, tp.kind = 'exam', tp.res_model,
                   tp.res_id
              FROM optical_touchpoint tp
             WHERE (tp.res_model IS NULL OR tp.res_model NOT IN %(documents)s)
               AND NOT EXISTS (
                   SELECT 1 FROM optical_sale_line tsl
                    WHERE tsl.res_model = 'optical.touchpoint' AND tsl.res_id = tp.id)
            UNION ALL
            SELECT co.id::bigint * 10 + 7, co.partner_id, co.company_id, co.date,
                   co.date::date, 'consent', co.channel, NULL, NULL, co.purpose, NULL,
                   co.note, CASE WHEN co.granted THEN 'granted' ELSE 'revoked' END,
                   NULL, FALSE, 'optical.consent', co.id
              FROM optical_consent co
            """,
            origin=SQL(
                "CASE lg.res_model WHEN 'optical.campaign' THEN 'campaign' "
                "WHEN 'optical.cycle.step' THEN 'cycle' ELSE 'other' END"
            ),
            documents=tuple(sorted(documents)),
        )

    @api.model
    def _optical_action_for(self, partners):
        """The timeline of ``partners`` (and of their contacts), newest first."""
        partners = partners.with_context(active_test=False).search(
            [("id", "child_of", partners.ids)]
        )
        name = (
            self.env._("Timeline: %(customer)s", customer=partners[:1].display_name)
            if len(partners.commercial_partner_id) == 1
            else self.env._("Customer timeline")
        )
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": self._name,
            "view_mode": "list,form",
            "domain": [("partner_id", "in", partners.ids)],
            "context": {"create": False, "edit": False, "delete": False},
        }

    def action_open_document(self):
        """Open the invoice, receipt, exam, consent... the row stands for."""
        self.ensure_one()
        if not self.res_model or self.res_model not in self.env or not self.res_id:
            raise UserError(self.env._("This event has no document in Odoo to open."))
        record = self.env[self.res_model].browse(self.res_id).exists()
        if not record:
            raise UserError(self.env._("The document of this event was deleted."))
        return record._get_records_action()
