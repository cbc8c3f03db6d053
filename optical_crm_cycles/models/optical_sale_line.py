from odoo import api, models


class OpticalSaleLine(models.Model):
    """Every sale starts and stops the cycles through the sales ledger, whatever
    its document: invoice, sales receipt, point of sale order, purchase from
    another system or imported (see ``optical.cycle.enrollment``,
    ``_optical_on_sales_recorded`` and ``_optical_on_sales_removed``)."""

    _inherit = "optical.sale.line"

    @api.model
    def _optical_sales_recorded(self, lines):
        res = super()._optical_sales_recorded(lines)
        self.env["optical.cycle.enrollment"].sudo()._optical_on_sales_recorded(lines)
        return res

    @api.model
    def _optical_sales_removed(self, rows):
        res = super()._optical_sales_removed(rows)
        self.env["optical.cycle.enrollment"].sudo()._optical_on_sales_removed(rows)
        return res
