from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestDemoData(TransactionCase):
    """The demo shop (installed with demo data, as by make demo)."""

    def setUp(self):
        super().setUp()
        if not self.env.ref(
            "optical_crm.demo_product_cl_daily", raise_if_not_found=False
        ):
            self.skipTest("installed without demo data")

    def test_believable_shop(self):
        customers = self.env["res.partner"].search([("ref", "=like", "OTT-%")])
        self.assertEqual(len(customers), 150)
        ages = customers.mapped("optical_age")
        self.assertLess(min(ages), 18)
        self.assertGreater(max(ages), 70)
        moves = self.env["account.move"].search(
            [("partner_id", "in", customers.ids), ("state", "=", "posted")]
        )
        self.assertGreater(
            len(moves.filtered(lambda m: m.move_type == "out_invoice")), 250
        )
        self.assertTrue(moves.filtered(lambda m: m.move_type == "out_refund"))
        dates = moves.mapped("invoice_date")
        self.assertGreater((max(dates) - min(dates)).days, 2 * 365)
        categories = set(moves.invoice_line_ids.mapped("optical_category"))
        self.assertGreaterEqual(
            categories,
            {"frame", "spectacle_lens", "sunglasses", "contact_lens", "eye_exam"},
        )
        self.assertTrue(customers.filtered("optical_cl_runout_date"))
        self.assertTrue(customers.filtered("optical_next_exam_date"))
        self.assertTrue(customers.optical_prescription_ids)
        self.assertTrue(customers.optical_consent_ids)
        self.assertTrue(
            self.env["optical.touchpoint"].search_count(
                [("partner_id", "in", customers.ids), ("kind", "=", "booking")]
            )
        )

    def test_profile_matches_full_recompute(self):
        customers = self.env["res.partner"].search([("ref", "=like", "OTT-%")])
        fields_ = self.env["res.partner"]._optical_profile_fields()
        before = customers.read(fields_)
        self.env["res.partner"]._optical_refresh_profile()
        self.assertEqual(customers.read(fields_), before)
