"""Point-of-sale orders in the sales ledger.

A paid order with a customer is a sale like an invoice, from its order date in
the shop's time zone: one ledger row per order line (source ``pos.order``). The
order keeps counting when it is invoiced: its invoice is left out of the
``account.move`` source, and a credit note made in accounting on that invoice
counts here, as a refund of the order.
"""

from odoo import api, fields, models
from odoo.tools import SQL

# the states of an order that is a sale (draft and cancelled ones are not)
COUNTED_STATES = ("paid", "done", "invoiced")
# context key of the uninstall hook: the ledger as it is without this addon
UNINSTALL_KEY = "optical_crm_pos_uninstall"


class OpticalSaleLine(models.Model):
    _inherit = "optical.sale.line"

    kind = fields.Selection(
        selection_add=[("pos", "Point of sale")], ondelete={"pos": "cascade"}
    )

    @api.model
    def _optical_ledger_sources(self):
        sources = super()._optical_ledger_sources()
        if not self.env.context.get(UNINSTALL_KEY):
            sources["pos.order"] = "_optical_pos_order_lines_sql"
        return sources

    @api.model
    def _optical_source_models(self):
        models_by_source = super()._optical_source_models()
        # the exclusion below reads which order an invoice belongs to
        models_by_source["account.move"] = [
            *models_by_source["account.move"],
            "pos.order",
        ]
        models_by_source["pos.order"] = [
            "pos.order",
            "pos.order.line",
            "account.move",
            "account.move.line",
            "res.partner",
        ]
        return models_by_source

    @api.model
    def _optical_changed_sources(self):
        sources = super()._optical_changed_sources()
        sources["pos.order"] = "_optical_pos_order_changed_sql"
        return sources

    @api.model
    def _optical_pos_order_changed_sql(self, since):
        """Orders written since then (paid, refunded, cancelled, customer
        changed): their customers' value is refreshed."""
        return SQL(
            """
            SELECT COALESCE(p.commercial_partner_id, p.id), o.company_id
              FROM pos_order o
              JOIN res_partner p ON p.id = o.partner_id
             WHERE o.write_date >= %s
            """,
            since,
        )

    @api.model
    def _optical_account_move_exclusion(self):
        """The invoice of a point-of-sale order (and a credit note of that
        invoice) counts through the order: leave it out of the account.move
        source."""
        exclusion = super()._optical_account_move_exclusion()
        if self.env.context.get(UNINSTALL_KEY):
            return exclusion
        return SQL(
            """%s
            AND NOT EXISTS (SELECT 1 FROM pos_order po WHERE po.account_move = m.id)
            AND NOT EXISTS (SELECT 1 FROM pos_order po
                             WHERE po.account_move = m.reversed_entry_id)
            """,
            exclusion,
        )

    @api.model
    def _optical_pos_order_lines_sql(self, ids):
        """Paid, posted or invoiced point-of-sale orders with a customer: one
        row per order line, untaxed, in the shop's currency, signed.

        A line that refunds a line of an earlier order (the POS refund) is a
        refund of that order, on that order's date; a negative line without
        origin is a refund of its own order. A credit note made in accounting
        on the invoice of an order is a refund of the order (its own lines).
        """
        where_order = SQL("AND o.id = ANY(%s)", list(ids)) if ids is not None else SQL()
        # a moment as a date of the shop (the time zone of its address)
        shop_date = (
            "(%s AT TIME ZONE 'UTC' AT TIME ZONE COALESCE(cp.tz, 'Europe/Rome'))::date"
        )
        return SQL(
            """
            SELECT 'pos.order.line,' || l.id,
                   'pos.order,' || o.id,
                   'pos.order,' || COALESCE(ro.id, o.id),
                   o.name, 'pos', 'pos.order', o.id, NULL::integer, o.company_id,
                   COALESCE(p.commercial_partner_id, p.id),
                   %(order_date)s,
                   %(sale_date)s,
                   l.product_id, t.optical_category,
                   l.qty,
                   -- to the shop currency (rate: one shop unit in the order currency)
                   ROUND((l.price_subtotal
                          / COALESCE(NULLIF(o.currency_rate, 0), 1))::numeric,
                         cur.decimal_places),
                   l.refunded_orderline_id IS NOT NULL OR l.qty < 0
              FROM pos_order o
              JOIN pos_order_line l ON l.order_id = o.id
              JOIN res_partner p ON p.id = o.partner_id
              JOIN res_company c ON c.id = o.company_id
              JOIN res_partner cp ON cp.id = c.partner_id
              JOIN res_currency cur ON cur.id = c.currency_id
              JOIN product_product pp ON pp.id = l.product_id
              JOIN product_template t ON t.id = pp.product_tmpl_id
              LEFT JOIN pos_order_line rl ON rl.id = l.refunded_orderline_id
              LEFT JOIN pos_order ro ON ro.id = rl.order_id
             WHERE o.state = ANY(%(states)s) %(where)s
            UNION ALL
            SELECT 'account.move.line,' || ml.id,
                   'account.move,' || m.id,
                   'pos.order,' || o.id,
                   m.name, 'credit_note', 'pos.order', o.id, m.id, m.company_id,
                   COALESCE(p.commercial_partner_id, p.id),
                   m.invoice_date,
                   %(order_date)s,
                   ml.product_id, ml.optical_category,
                   -ml.quantity, -ml.balance, TRUE
              FROM pos_order o
              JOIN account_move m ON m.reversed_entry_id = o.account_move
              JOIN account_move_line ml
                ON ml.move_id = m.id AND ml.display_type = 'product'
              JOIN res_partner p ON p.id = o.partner_id
              JOIN res_company c ON c.id = o.company_id
              JOIN res_partner cp ON cp.id = c.partner_id
             WHERE o.state = ANY(%(states)s) %(where)s
               AND m.state = 'posted' AND m.move_type = 'out_refund'
               AND m.invoice_date IS NOT NULL
               -- not the invoice of a refund order (that order counts)
               AND NOT EXISTS (SELECT 1 FROM pos_order x WHERE x.account_move = m.id)
               -- an invoice of several orders: its credit notes go to the first
               AND NOT EXISTS (SELECT 1 FROM pos_order x
                                WHERE x.account_move = o.account_move AND x.id < o.id)
            """,
            order_date=SQL(shop_date, SQL("o.date_order")),
            sale_date=SQL(shop_date, SQL("COALESCE(ro.date_order, o.date_order)")),
            states=list(COUNTED_STATES),
            where=where_order,
        )
