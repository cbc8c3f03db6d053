from odoo import api, models

from .optical_sale_line import COUNTED_STATES

# the writes that make an order a sale, or no longer one, or someone else's
# (closing the session, paid -> done, changes nothing in the ledger)
SYNC_STATES = ("paid", "invoiced", "cancel")
# context key: the order is being saved from the POS, the ledger follows once
# it is complete (see _process_order)
DEFERRED = "optical_ledger_deferred"


class PosOrder(models.Model):
    _inherit = "pos.order"

    # An order from the POS is created paid, gets its payments, then passes
    # through action_pos_order_paid() (whose exceptions _process_saved_order()
    # only logs), its picking and maybe its invoice: the ledger follows once,
    # when the order is complete, outside that silence (one sync of the sales
    # ledger, whose errors raise). Orders created or changed otherwise follow
    # at once.
    @api.model
    def _process_order(self, order, existing_order):
        order_id = super(
            PosOrder, self.with_context(**{DEFERRED: True})
        )._process_order(order, existing_order)
        self.browse(order_id).filtered(
            lambda o: o.state in COUNTED_STATES
        )._optical_sync_ledger()
        return order_id

    @api.model_create_multi
    def create(self, vals_list):
        orders = super().create(vals_list)
        if not self.env.context.get(DEFERRED):
            orders.filtered(lambda o: o.state in COUNTED_STATES)._optical_sync_ledger()
        return orders

    def write(self, vals):
        if self.env.context.get(DEFERRED) or (
            "partner_id" not in vals and vals.get("state") not in SYNC_STATES
        ):
            return super().write(vals)
        counted = self.filtered(lambda o: o.state in COUNTED_STATES)
        former = counted.partner_id.commercial_partner_id
        res = super().write(vals)
        counted |= self.filtered(lambda o: o.state in COUNTED_STATES)
        counted._optical_sync_ledger()
        if "partner_id" in vals and former:
            # the former customer loses the sale (the ledger's hooks tell only
            # about documents that left it)
            self.env["res.partner"]._optical_refresh_profile(former.ids)
        return res

    def _generate_pos_order_invoice(self):
        res = super()._generate_pos_order_invoice()
        # the order counts, its invoice not: make sure no invoice posted before
        # it was linked to the order stays in the ledger
        invoices = self.account_move
        if invoices:
            self.env["optical.sale.line"].sudo()._optical_sync(
                "account.move", invoices.ids
            )
        return res

    def _optical_sync_ledger(self):
        if self:
            self.env["optical.sale.line"].sudo()._optical_sync("pos.order", self.ids)
