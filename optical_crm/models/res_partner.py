from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .optical_customer_value import VALUE_SEGMENTS


class ResPartner(models.Model):
    _inherit = "res.partner"

    optical_birthdate = fields.Date(string="Birthdate", index=True)
    optical_prescription_ids = fields.One2many(
        "optical.prescription",
        "partner_id",
        string="Prescriptions",
        groups="optical_crm.group_optical_optometrist",
    )
    optical_exam_ids = fields.One2many(
        "optical.exam",
        "partner_id",
        string="Eye exams",
        groups="optical_crm.group_optical_optometrist",
    )
    optical_consent_ids = fields.One2many(
        "optical.consent", "partner_id", string="Consents"
    )
    optical_touchpoint_ids = fields.One2many(
        "optical.touchpoint", "partner_id", string="Touchpoints"
    )
    # Stored figures, kept current by the events that change them (invoices, exams).
    optical_last_exam_date = fields.Date(string="Last eye exam", index=True)
    optical_next_exam_date = fields.Date(string="Next eye exam (recall)", index=True)
    optical_last_purchase_date = fields.Date(string="Last purchase", index=True)
    optical_cl_runout_date = fields.Date(string="Contact lenses run out", index=True)
    optical_ltv = fields.Float(
        string="Lifetime value",
        digits="Account",
        help="Posted customer invoices less credit notes, in company currency.",
    )

    # ------------------------------------------------------------------ consent
    def _optical_contact_allowed(self, channel, purpose="marketing", company=None):
        """Whether this customer may be contacted on ``channel`` for ``purpose``.

        The latest consent row decides (marketing needs a granted one, service is
        allowed unless revoked); a valid address for the channel (a mobile number
        in E.164 for SMS) and Odoo's email and phone blacklists are honoured.

        :return: ``(allowed, reason)``, reason being a code of
            ``optical_contact_policy.EXCLUSION_REASONS`` or ``""``
        """
        self.ensure_one()
        reason = self.env["optical.contact.policy"]._optical_screen(
            self, channel, purpose, company=company, cap=False
        )[self.id]
        return not reason, reason or ""

    def _optical_record_consent(
        self, channel, purpose, granted, source, note=None, company=None
    ):
        """Append a consent row for each partner (the ledger is never edited)."""
        company = company if company is not None else self.env.company
        return (
            self.env["optical.consent"]
            .sudo()
            .create(
                [
                    {
                        "partner_id": partner.id,
                        "channel": channel,
                        "purpose": purpose,
                        "granted": granted,
                        "source": source,
                        "note": note,
                        "company_id": company.id or False,
                        "user_id": self.env.uid,
                    }
                    for partner in self
                ]
            )
        )

    @api.model
    def _optical_record_unsubscribe(self, domain, channels):
        """An opt-out through Odoo's unsubscribe links (which blacklist the number
        or the address) revokes marketing consent in the ledger, for every shop."""
        partners = self.sudo().with_context(active_test=False).search(domain)
        for channel in channels:
            partners._optical_record_consent(
                channel,
                "marketing",
                False,
                "unsubscribe",
                note=self.env._("Opted out (blacklisted)"),
                company=self.env["res.company"],
            )

    # ------------------------------------------------------------ customer value
    optical_value_ids = fields.One2many(
        "optical.customer.value",
        "partner_id",
        string="Value per shop",
        groups="optical_crm.group_optical_user",
    )
    optical_value_id = fields.Many2one(
        "optical.customer.value",
        string="Value in this shop",
        compute="_compute_optical_value",
        groups="optical_crm.group_optical_user",
    )
    optical_value_ltv = fields.Monetary(
        string="Lifetime value (shop)",
        compute="_compute_optical_value",
        currency_field="optical_value_currency_id",
        groups="optical_crm.group_optical_user",
    )
    optical_value_currency_id = fields.Many2one(
        "res.currency",
        string="Shop currency",
        compute="_compute_optical_value",
        groups="optical_crm.group_optical_user",
    )
    optical_value_segment = fields.Selection(
        VALUE_SEGMENTS,
        string="Value segment",
        compute="_compute_optical_value",
        groups="optical_crm.group_optical_user",
    )
    optical_audience = fields.Char(
        string="Customer list",
        compute="_compute_optical_audience",
        search="_search_optical_audience",
        help="Search only: [('optical_audience', '=', 'lapsed')] finds the "
        "customers of a list of the value dashboard (see optical.value.dashboard).",
    )

    @api.depends_context("company")
    def _compute_optical_value(self):
        """The customer's value row in the current shop (the commercial entity's)."""
        values = self.env["optical.customer.value"].search(
            [
                ("partner_id", "in", self.commercial_partner_id.ids),
                ("company_id", "=", self.env.company.id),
            ]
        )
        by_partner = {value.partner_id.id: value for value in values}
        for partner in self:
            value = by_partner.get(partner.commercial_partner_id.id)
            partner.optical_value_id = value
            partner.optical_value_ltv = value.ltv if value else 0.0
            partner.optical_value_currency_id = (
                value.currency_id if value else self.env.company.currency_id
            )
            partner.optical_value_segment = value.segment if value else False

    def _compute_optical_audience(self):
        self.optical_audience = False

    def _search_optical_audience(self, operator, value):
        if operator not in ("=", "!=", "in", "not in"):
            raise UserError(
                self.env._(
                    "Customer lists can only be searched with =, !=, in or not in."
                )
            )
        self.env["optical.customer.value"].check_access("read")
        keys = [value] if isinstance(value, str) else list(value or [])
        if not keys:
            return [("id", "in" if operator in ("=", "in") else "not in", [])]
        dashboard = self.env["optical.value.dashboard"]
        self.env["optical.customer.value"].flush_model()
        self.env["account.move"].flush_model()
        self.flush_model(["optical_next_exam_date", "optical_cl_runout_date"])
        query = SQL(" UNION ").join(
            SQL("(%s)", dashboard._optical_audience_sql(key)) for key in keys
        )
        return [
            ("id", "in" if operator in ("=", "in") else "not in", SQL("(%s)", query))
        ]

    def action_optical_timeline(self):
        return self.env["optical.customer.timeline"]._optical_action_for(self)

    def action_optical_value(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Value of %(customer)s", customer=self.display_name),
            "res_model": "optical.customer.value",
            "view_mode": "list,form",
            "domain": [("partner_id", "=", self.commercial_partner_id.id)],
            "context": {"create": False},
        }
