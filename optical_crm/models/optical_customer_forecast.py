from odoo import fields, models

from .optical_customer_value import FORECAST_BASES
from .product_template import OPTICAL_CATEGORIES


class OpticalCustomerForecast(models.Model):
    """Purchases of one optical category by one customer in one shop, and when the
    next one is expected (written by ``optical.customer.value`` refreshes only)."""

    _name = "optical.customer.forecast"
    _description = "Customer purchase forecast per category"
    _order = "next_purchase_date, id"
    _rec_name = "optical_category"

    value_id = fields.Many2one(
        "optical.customer.value",
        string="Customer value",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
    )
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
    optical_category = fields.Selection(
        OPTICAL_CATEGORIES, string="Category", required=True, readonly=True
    )
    purchase_count = fields.Integer(
        string="Purchases",
        readonly=True,
        help="Days the customer bought this category in this shop.",
    )
    last_purchase_date = fields.Date(string="Last purchase", readonly=True)
    avg_interval_days = fields.Integer(
        string="Average interval (days)",
        readonly=True,
        aggregator="avg",
        help="Average number of days between two purchases of this category.",
    )
    next_purchase_date = fields.Date(
        string="Next purchase (forecast)", readonly=True, index=True
    )
    basis = fields.Selection(
        FORECAST_BASES,
        string="Forecast from",
        readonly=True,
        help="Own purchase interval: last purchase plus the customer's average "
        "interval for this category (needs two purchases). Contact lens run-out: "
        "the day the lenses bought run out.",
    )

    _sql_constraints = [
        (
            "partner_company_category_uniq",
            "unique(partner_id, company_id, optical_category)",
            "One forecast per customer, shop and category.",
        )
    ]
