"""The sales ledger, filled from every sale already in the database (invoices,
sales receipts, credit notes, imported purchases); then the profile figures,
which now read it (sales receipts count from now on)."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["optical.sale.line"]._optical_rebuild()
    env["res.partner"]._optical_refresh_profile()
