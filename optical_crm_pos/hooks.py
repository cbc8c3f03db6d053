from .models.optical_sale_line import UNINSTALL_KEY


def post_init_hook(env):
    """The orders already in the database count: the sales ledger is rebuilt
    (the orders come in, the invoices of orders go out), then the profile
    figures of every customer (one set-based pass)."""
    env["optical.sale.line"]._optical_rebuild()
    env["res.partner"]._optical_refresh_profile()


def uninstall_hook(env):
    """Back to the ledger without this addon: the orders go out, their invoices
    count again."""
    env["optical.sale.line"].with_context(**{UNINSTALL_KEY: True})._optical_rebuild()
    env["res.partner"]._optical_refresh_profile()
