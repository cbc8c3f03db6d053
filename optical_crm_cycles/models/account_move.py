from odoo import models


class AccountMove(models.Model):
    _inherit = "account.move"

    def _post(self, soft=True):
        # act on what was really posted (future-dated invoices are posted later by
        # Odoo's cron, through this same method)
        posted = super()._post(soft)
        if posted:
            self.env["optical.cycle.enrollment"].sudo()._optical_on_moves_posted(posted)
        return posted

    def button_draft(self):
        invoices = self.filtered(
            lambda m: m.move_type == "out_invoice" and m.state == "posted"
        )
        res = super().button_draft()
        self.env["optical.cycle.enrollment"].sudo()._optical_on_moves_reset(
            invoices, "invoice_draft"
        )
        return res

    def button_cancel(self):
        # for posted invoices Odoo goes through button_draft first: the reason
        # recorded there becomes "cancelled"
        invoices = self.filtered(lambda m: m.move_type == "out_invoice")
        res = super().button_cancel()
        self.env["optical.cycle.enrollment"].sudo()._optical_on_moves_reset(
            invoices.filtered(lambda m: m.state == "cancel"), "invoice_cancelled"
        )
        return res
