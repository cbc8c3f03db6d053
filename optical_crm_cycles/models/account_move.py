from odoo import models


class AccountMove(models.Model):
    _inherit = "account.move"

    # Posting, resetting and crediting reach the cycles through the sales ledger
    # (see models/optical_sale_line.py); only the reason of a cancellation is
    # told here.
    def button_cancel(self):
        # posted invoices and receipts go through button_draft first, whose
        # ledger event stops their cycles: with this reason, not "reset"
        drafts = self.filtered(
            lambda m: m.state == "draft" and m.is_sale_document(include_receipts=True)
        )
        res = super(
            AccountMove,
            self.with_context(optical_cycle_stop_reason="invoice_cancelled"),
        ).button_cancel()
        # cancelled from draft: what the earlier reset stopped says "cancelled"
        self.env["optical.cycle.enrollment"].sudo()._optical_on_sales_left(
            [f"account.move,{move.id}" for move in drafts if move.state == "cancel"],
            "invoice_cancelled",
        )
        return res
