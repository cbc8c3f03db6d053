from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .optical_customer_value import VALUE_SEGMENTS
from .res_partner_profile import OPTICAL_USER


class ResPartner(models.Model):
    """The customer's value per shop on the contact: the value row of the
    current shop, the customer lists of the value dashboard as a search, and
    the actions that start from them."""

    _inherit = "res.partner"  # pylint: disable=consider-merging-classes-inherited

    # ------------------------------------------------------------ customer value
    optical_value_ids = fields.One2many(
        "optical.customer.value",
        "partner_id",
        string="Value per shop",
        groups=OPTICAL_USER,
    )
    optical_value_id = fields.Many2one(
        "optical.customer.value",
        string="Value in this shop",
        compute="_compute_optical_value",
        groups=OPTICAL_USER,
    )
    optical_value_ltv = fields.Monetary(
        string="Lifetime value (shop)",
        compute="_compute_optical_value",
        currency_field="optical_value_currency_id",
        groups=OPTICAL_USER,
    )
    optical_value_currency_id = fields.Many2one(
        "res.currency",
        string="Shop currency",
        compute="_compute_optical_value",
        groups=OPTICAL_USER,
    )
    optical_value_segment = fields.Selection(
        VALUE_SEGMENTS,
        string="Value segment",
        compute="_compute_optical_value",
        groups=OPTICAL_USER,
    )
    optical_audience = fields.Char(
        string="Customer list",
        compute="_compute_optical_audience",
        search="_search_optical_audience",
        help="Search only: [('optical_audience', '=', 'lapsed')] finds the "
        "customers of a list of the value dashboard (see optical.value.dashboard).",
        groups=OPTICAL_USER,
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
        self.check_field_access_rights("read", ["optical_audience"])
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
        self.env["optical.sale.line"].flush_model()
        self.flush_model(["optical_next_exam_date", "optical_cl_runout_date"])
        query = SQL(" UNION ").join(
            SQL("(%s)", dashboard._optical_audience_sql(key)) for key in keys
        )
        return [
            ("id", "in" if operator in ("=", "in") else "not in", SQL("(%s)", query))
        ]

    def action_optical_start_campaign(self):
        """ "Start a campaign" of the contact list: a segment holding the selected
        customers (the list's whole filter when everything is selected) and a new
        draft campaign on it."""
        context = self.env.context
        domain = context.get("active_domain")
        limit = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("web.active_ids_limit", default="20000")
        )
        if (
            domain is not None
            and self
            and (len(self) >= limit or self.search_count(domain) == len(self))
        ):
            segment = self.env["optical.segment"]._optical_for_partners(self, domain)
        else:
            segment = self.env["optical.segment"]._optical_for_partners(self)
        return segment.action_optical_new_campaign()

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
