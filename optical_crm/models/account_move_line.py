from odoo import fields, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    optical_category = fields.Selection(
        related="product_id.product_tmpl_id.optical_category",
        store=True,
        index=True,
    )
