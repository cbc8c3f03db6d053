"""The sales ledger, filled from every sale already in the database (invoices,
sales receipts, credit notes, imported purchases); then the profile figures,
which now read it (sales receipts count from now on), and the customer value,
which reads it too (refreshed in the background)."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["optical.sale.line"]._optical_rebuild()
    env["res.partner"]._optical_refresh_profile()
    env["optical.customer.value"]._optical_schedule_first_refresh()
    # the customer value no longer reads the invoices: their index goes
    cr.execute("DROP INDEX IF EXISTS optical_account_move_sale_customer_idx")
