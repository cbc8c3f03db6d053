from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    optical_recall_months = fields.Integer(
        string="Eye exam recall (months)",
        default=12,
        help="Months after an eye exam when the customer is due for the next one.",
    )
