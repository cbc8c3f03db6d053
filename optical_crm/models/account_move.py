from odoo import models

VALUE_DIRTY_KEY = "optical_crm.value_dirty"


class AccountMove(models.Model):
    _inherit = "account.move"

    # -------------------------------------------------------- customer value
    # Posting, resetting to draft, cancelling or crediting a customer invoice changes
    # the value of (customer, shop): the pairs are collected and refreshed once, in
    # SQL, just before the transaction commits (cancel passes through button_draft,
    # credit notes through _post).
    def _post(self, soft=True):
        posted = super()._post(soft)
        posted._optical_value_mark_dirty()
        return posted

    def button_draft(self):
        self.filtered(lambda m: m.state == "posted")._optical_value_mark_dirty()
        return super().button_draft()

    def _optical_value_mark_dirty(self):
        pairs = {
            (move.commercial_partner_id.id, move.company_id.id)
            for move in self
            if move.move_type in ("out_invoice", "out_refund")
            and move.commercial_partner_id
        }
        if not pairs:
            return
        precommit = self.env.cr.precommit
        if VALUE_DIRTY_KEY not in precommit.data:
            precommit.data[VALUE_DIRTY_KEY] = set()
            env = self.env

            @precommit.add
            def _optical_refresh_dirty_values():
                dirty = precommit.data.pop(VALUE_DIRTY_KEY, set())
                if dirty:
                    env["optical.customer.value"].sudo()._optical_refresh_value(
                        partner_ids={partner for partner, _company in dirty},
                        company_ids={company for _partner, company in dirty},
                    )

        precommit.data[VALUE_DIRTY_KEY].update(pairs)
