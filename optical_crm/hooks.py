from odoo.tools import sql


def pre_init_hook(env):
    """Create the stored invoice-line category column before the ORM does.

    Left to the ORM, adding a stored related field to account.move.line computes it
    for every existing line in Python (minutes on a large database). No product has
    an optical category before this module is installed, so the column starts empty.
    """
    if not sql.column_exists(env.cr, "account_move_line", "optical_category"):
        sql.create_column(env.cr, "account_move_line", "optical_category", "varchar")


def post_init_hook(env):
    """The sales ledger and the profile figures of the sales already in the
    database."""
    env["optical.sale.line"]._optical_rebuild()
    env["res.partner"]._optical_refresh_profile()
