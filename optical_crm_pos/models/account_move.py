from odoo import models


class AccountMove(models.Model):
    _inherit = "account.move"

    # A credit note made in accounting on the invoice of a point-of-sale order
    # is a refund of the order (the order's source counts it, see
    # optical.sale.line._optical_pos_order_lines_sql): posting it, resetting or
    # cancelling it brings the order's ledger rows up to date.
    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted._optical_pos_refunded_orders()._optical_sync_ledger()
        return posted

    def button_draft(self):
        orders = self.filtered(
            lambda m: m.state == "posted"
        )._optical_pos_refunded_orders()
        res = super().button_draft()
        orders._optical_sync_ledger()
        return res

    def _optical_pos_refunded_orders(self):
        """The orders whose invoice these credit notes reverse."""
        return (
            self.filtered(lambda m: m.move_type == "out_refund")
            .reversed_entry_id.sudo()
            .pos_order_ids
        )
