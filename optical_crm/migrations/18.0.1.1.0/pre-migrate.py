"""The optical profile becomes per shop: its columns turn into jsonb.

The old columns hold chain-wide figures (every shop's exams and invoices mixed):
they are dropped, the ORM creates the jsonb columns of the company-dependent
fields, and post-migrate computes every shop's figures again.
"""

from odoo.tools import SQL, sql

PROFILE_COLUMNS = (
    "optical_last_exam_date",
    "optical_next_exam_date",
    "optical_last_prescription_date",
    "optical_last_purchase_date",
    "optical_cl_runout_date",
    "optical_ltv",
)


def migrate(cr, version):
    columns = sql.table_columns(cr, "res_partner")
    for column in PROFILE_COLUMNS:
        if column in columns and columns[column]["udt_name"] != "jsonb":
            cr.execute(
                SQL("ALTER TABLE res_partner DROP COLUMN %s", SQL.identifier(column))
            )
