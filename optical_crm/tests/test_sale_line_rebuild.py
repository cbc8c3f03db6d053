import psycopg2

from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

FIELDS = [
    "line_key",
    "document_key",
    "origin_key",
    "kind",
    "res_model",
    "res_id",
    "move_id",
    "company_id",
    "partner_id",
    "date",
    "sale_date",
    "product_id",
    "optical_category",
    "quantity",
    "amount",
    "is_refund",
]


@tagged("post_install", "-at_install")
class TestSaleLineRebuild(AccountTestInvoicingCommon):
    """The full rebuild of the sales ledger (a bulk load) gives the rows the
    events gave, and leaves the table with its indexes and foreign keys."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.groups_id |= cls.env.ref("optical_crm.group_optical_user")
        cls.customer = cls.env["res.partner"].create({"name": "Chiara Neri"})
        cls.frame = cls._create_product(
            name="Frame", lst_price=100, optical_category="frame"
        )
        cls.lenses = cls._create_product(
            name="Monthly lenses 6",
            lst_price=30,
            optical_category="contact_lens",
            optical_cl_replacement_days=30,
            optical_cl_lenses_per_pack=6,
        )

    def _schema(self):
        cr = self.env.cr
        cr.execute(
            "SELECT indexname, indexdef FROM pg_indexes "
            "WHERE tablename = 'optical_sale_line' ORDER BY indexname"
        )
        indexes = cr.fetchall()
        cr.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'optical_sale_line'::regclass ORDER BY conname"
        )
        return indexes, cr.fetchall()

    def _rows(self):
        Ledger = self.env["optical.sale.line"]
        Ledger.invalidate_model()
        rows = Ledger.search([], order="line_key").read(FIELDS, load=False)
        for row in rows:
            del row["id"]  # the rebuild numbers the rows again
        return rows

    def test_rebuild_gives_what_the_events_gave(self):
        invoice = self.init_invoice(
            "out_invoice",
            partner=self.customer,
            invoice_date="2024-03-01",
            products=self.frame | self.lenses,
            post=True,
        )
        self.init_invoice(
            "out_receipt",
            partner=self.customer,
            invoice_date="2024-03-05",
            products=self.lenses,
            post=True,
        )
        invoice._reverse_moves(
            default_values_list=[{"invoice_date": "2024-03-10"}]
        ).action_post()
        self.env["optical.touchpoint"].create(
            [
                {
                    "partner_id": self.customer.id,
                    "datetime": "2024-03-12 10:00:00",
                    "channel": "store",
                    "kind": "purchase",
                    "source": "till",
                    "document_ref": "T-1",
                    "external_ref": f"T-1#{n}",
                    "product_id": product.id,
                    "quantity": 1,
                    "amount": amount,
                }
                for n, product, amount in ((1, self.frame, 90), (2, self.lenses, 25))
            ]
        )
        from_events = self._rows()
        self.assertEqual(
            sorted({row["kind"] for row in from_events}),
            ["api", "credit_note", "invoice", "receipt"],
        )
        schema = self._schema()
        count = self.env["optical.sale.line"]._optical_rebuild()
        self.assertEqual(count, len(from_events))
        self.assertEqual(self._rows(), from_events)
        self.assertEqual(self._schema(), schema)
        # the foreign keys are enforced again
        self.env.cr.execute("SELECT MAX(id) + 1 FROM res_partner")
        missing_partner = self.env.cr.fetchone()[0]
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(psycopg2.errors.ForeignKeyViolation),
            self.env.cr.savepoint(),
        ):
            self.env.cr.execute(
                "UPDATE optical_sale_line SET partner_id = %s", [missing_partner]
            )
