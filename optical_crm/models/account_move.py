from odoo import models
from odoo.tools import SQL

# customer invoices, sales receipts (documento commerciale) and credit notes
SALE_TYPES = ("out_invoice", "out_receipt", "out_refund")


class AccountMove(models.Model):
    _inherit = "account.move"

    # Posting, resetting to draft, cancelling (through button_draft) or crediting
    # (credit notes come through _post) a customer invoice or sales receipt
    # brings its lines into the sales ledger (optical.sale.line), whose hooks
    # refresh the customer's optical profile at once and start the cycles; the
    # value of (customer, shop) follows within minutes
    # (optical.customer.value._optical_cron_refresh_recent), so posting never
    # waits for it.
    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        sales = posted.filtered(lambda m: m.move_type in SALE_TYPES)
        if sales:
            self.env["optical.sale.line"].sudo()._optical_sync(
                "account.move", sales.ids
            )
            sales.filtered(
                lambda m: m.move_type != "out_refund"
            )._optical_record_touchpoints()
        return posted

    def button_draft(self):
        # button_cancel() passes posted moves through here as well.
        was_posted = self.filtered(
            lambda m: m.state == "posted" and m.move_type in SALE_TYPES
        )
        res = super().button_draft()
        if was_posted:
            # the purchase is undone: its touchpoint goes (one DELETE; the ORM's
            # unlink would drop the whole cache of the transaction)
            Touchpoint = self.env["optical.touchpoint"]
            Touchpoint.flush_model()
            self.env.cr.execute(
                SQL(
                    "DELETE FROM optical_touchpoint WHERE res_model = 'account.move'"
                    " AND res_id = ANY(%s) AND kind = 'purchase'",
                    was_posted.ids,
                )
            )
            Touchpoint.invalidate_model()
            self.env["res.partner"].invalidate_model(
                ["optical_touchpoint_ids", "optical_touchpoint_count"]
            )
            self.env["optical.sale.line"].sudo()._optical_sync(
                "account.move", was_posted.ids
            )
        return res

    def _optical_record_touchpoints(self):
        """One purchase touchpoint per posted invoice (none if already recorded).

        Runs inside every posting, so it is one INSERT: dated at noon of the
        invoice date in the shop's time zone (never in the future), with the
        category of the invoice's largest line. The values are ours, not user
        input: the checks of optical.touchpoint.create() have nothing to refuse.
        """
        if not self:
            return
        self.flush_recordset(
            [
                "partner_id",
                "invoice_date",
                "name",
                "company_id",
                "amount_untaxed_signed",
            ]
        )
        self.env["account.move.line"].flush_model(
            ["move_id", "display_type", "optical_category", "price_subtotal"]
        )
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO optical_touchpoint (
                    partner_id, datetime, channel, kind, summary, source,
                    external_ref, res_model, res_id, company_id, amount,
                    optical_category, create_uid, create_date, write_uid, write_date)
                SELECT m.partner_id,
                       LEAST(
                           (m.invoice_date + TIME '12:00')
                               AT TIME ZONE COALESCE(cp.tz, 'Europe/Rome')
                               AT TIME ZONE 'UTC',
                           (NOW() AT TIME ZONE 'UTC') - INTERVAL '1 second'),
                       'store', 'purchase', m.name, 'odoo',
                       'account.move,' || m.id, 'account.move', m.id, m.company_id,
                       m.amount_untaxed_signed,
                       (SELECT l.optical_category
                          FROM account_move_line l
                         WHERE l.move_id = m.id AND l.display_type = 'product'
                           AND l.optical_category IS NOT NULL
                         ORDER BY l.price_subtotal DESC, l.id
                         LIMIT 1),
                       %(uid)s, NOW() AT TIME ZONE 'UTC',
                       %(uid)s, NOW() AT TIME ZONE 'UTC'
                  FROM account_move m
                  JOIN res_company c ON c.id = m.company_id
                  JOIN res_partner cp ON cp.id = c.partner_id
                 WHERE m.id = ANY(%(ids)s)
                ON CONFLICT ON CONSTRAINT optical_touchpoint_source_external_ref_unique
                DO NOTHING
                """,
                uid=self.env.uid,
                ids=self.ids,
            )
        )
        self.env["res.partner"].invalidate_model(
            ["optical_touchpoint_ids", "optical_touchpoint_count"]
        )
