from datetime import date, datetime

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged
from odoo.tools import SQL

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from .common import RaisesMixin


@tagged("post_install", "-at_install")
class TestProfile(RaisesMixin, AccountTestInvoicingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the accountant of the tests reads the profile: Optical CRM manager too
        cls.env.user.groups_id |= cls.env.ref("optical_crm.group_optical_manager")
        cls.customer = cls.env["res.partner"].create({"name": "Chiara Neri"})
        cls.bystander = cls.env["res.partner"].create({"name": "Paolo Gallo"})
        cls.monthly = cls._create_product(
            name="Monthly lenses 6",
            lst_price=30,
            optical_category="contact_lens",
            optical_cl_replacement_days=30,
            optical_cl_lenses_per_pack=6,
        )
        cls.daily = cls._create_product(
            name="Daily lenses 30",
            lst_price=25,
            optical_category="contact_lens",
            optical_cl_replacement_days=1,
            optical_cl_lenses_per_pack=30,
        )
        cls.frame = cls._create_product(
            name="Frame", lst_price=100, optical_category="frame"
        )

    def _invoice(self, lines, invoice_date, partner=None, post=True, refund=False):
        move = self.env["account.move"].create(
            {
                "move_type": "out_refund" if refund else "out_invoice",
                "partner_id": (partner or self.customer).id,
                "invoice_date": invoice_date,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "quantity": quantity,
                            "price_unit": price,
                            "tax_ids": [Command.set(self.tax_sale_a.ids)],
                        }
                    )
                    for product, quantity, price in lines
                ],
            }
        )
        if post:
            move.action_post()
        return move

    def _reverse(self, move, modify=False):
        wizard = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=move.ids)
            .create({"journal_id": move.journal_id.id, "date": move.invoice_date})
        )
        action = wizard.modify_moves() if modify else wizard.refund_moves()
        return (
            self.env["account.move"].browse(action.get("res_id")) or wizard.new_move_ids
        )

    def _profile(self, partner=None):
        partner = partner or self.customer
        return (
            partner.optical_ltv,
            partner.optical_last_purchase_date,
            partner.optical_cl_runout_date,
        )

    def test_line_category_is_stored_and_indexed(self):
        move = self._invoice(
            [(self.monthly, 2, 30), (self.frame, 1, 100)], "2024-03-10"
        )
        self.env.cr.execute(
            SQL(
                "SELECT optical_category FROM account_move_line "
                "WHERE move_id = %s AND display_type = 'product' ORDER BY id",
                move.id,
            )
        )
        self.assertEqual(
            [row[0] for row in self.env.cr.fetchall()], ["contact_lens", "frame"]
        )
        self.env.cr.execute(
            "SELECT 1 FROM pg_indexes WHERE tablename = 'account_move_line' "
            "AND indexdef LIKE '%(optical_category)%'"
        )
        self.assertTrue(self.env.cr.fetchall())

    def test_post_sets_value_last_purchase_and_runout(self):
        move = self._invoice(
            [(self.monthly, 4, 30), (self.frame, 1, 100)], "2024-03-10"
        )
        touchpoint = (
            self.env["optical.touchpoint"]
            .sudo()
            .search([("res_model", "=", "account.move"), ("res_id", "=", move.id)])
        )
        self.assertEqual(
            (touchpoint.partner_id, touchpoint.kind, touchpoint.source),
            (self.customer, "purchase", "odoo"),
        )
        self.assertEqual(touchpoint.datetime.date(), date(2024, 3, 10))
        self.assertEqual((touchpoint.amount, touchpoint.summary), (220, move.name))
        self.assertEqual(touchpoint.optical_category, "contact_lens", "largest line")
        self.assertEqual(touchpoint.company_id, move.company_id)
        # 4 packs x 6 lenses x 30 days / 2 eyes = 360 days
        self.assertEqual(self._profile(), (220.0, date(2024, 3, 10), date(2025, 3, 5)))
        # the latest contact lens purchase decides, whatever came before
        self._invoice([(self.daily, 2, 25)], "2024-06-01")
        self.assertEqual(self._profile(), (270.0, date(2024, 6, 1), date(2024, 7, 1)))
        self.assertEqual(self._profile(self.bystander), (0.0, False, False))

    def test_only_the_invoiced_partner_is_refreshed(self):
        self.env.cr.execute(
            SQL(
                # the figure of the current shop (company-dependent jsonb column)
                "UPDATE res_partner SET optical_ltv = jsonb_build_object(%s, 999) "
                "WHERE id = %s",
                self.env.company.id,
                self.bystander.id,
            )
        )
        self._invoice([(self.frame, 1, 100)], "2024-03-10")
        self.bystander.invalidate_recordset()
        self.assertEqual(self.bystander.optical_ltv, 999, "not recomputed")
        self.assertEqual(self.customer.optical_ltv, 100)

    def test_reset_to_draft_and_cancel(self):
        first = self._invoice([(self.monthly, 2, 30)], "2024-01-10")
        second = self._invoice(
            [(self.frame, 1, 100), (self.daily, 2, 25)], "2024-05-10"
        )
        self.assertEqual(self._profile(), (210.0, date(2024, 5, 10), date(2024, 6, 9)))
        second.button_draft()
        self.assertEqual(self._profile(), (60.0, date(2024, 1, 10), date(2024, 7, 8)))
        touchpoints = (
            self.env["optical.touchpoint"]
            .sudo()
            .search([("partner_id", "=", self.customer.id)])
        )
        self.assertEqual(touchpoints.mapped("res_id"), [first.id])
        second.action_post()
        self.assertEqual(self._profile()[0], 210.0)
        self.assertEqual(
            len(
                self.env["optical.touchpoint"]
                .sudo()
                .search([("partner_id", "=", self.customer.id)])
            ),
            2,
        )
        second.button_cancel()
        self.assertEqual(second.state, "cancel")
        self.assertEqual(self._profile(), (60.0, date(2024, 1, 10), date(2024, 7, 8)))

    def test_full_credit_note(self):
        self._invoice([(self.monthly, 2, 30)], "2024-01-10")
        late = self._invoice([(self.daily, 2, 25), (self.frame, 1, 100)], "2024-05-10")
        refund = self._reverse(late)
        self.assertEqual(refund.state, "draft")
        self.assertEqual(self._profile()[0], 210.0, "a draft credit note counts not")
        refund.action_post()
        self.assertEqual(refund.reversed_entry_id, late)
        # the refunded invoice no longer counts as a purchase, nor its lenses
        self.assertEqual(self._profile(), (60.0, date(2024, 1, 10), date(2024, 7, 8)))
        touchpoints = (
            self.env["optical.touchpoint"]
            .sudo()
            .search([("partner_id", "=", self.customer.id)])
        )
        self.assertEqual(len(touchpoints), 2, "credit notes are not purchases")

    def test_reverse_and_modify_posts_the_credit_note(self):
        late = self._invoice([(self.frame, 1, 100)], "2024-05-10")
        self._reverse(late, modify=True)
        self.assertEqual(self._profile(), (0.0, False, False))

    def test_partial_credit_note(self):
        move = self._invoice([(self.frame, 1, 100)], "2024-05-10")
        refund = self._invoice(
            [(self.frame, 1, 20)], "2024-05-20", refund=True, post=False
        )
        refund.reversed_entry_id = move
        refund.action_post()
        self.assertEqual(self._profile(), (80.0, date(2024, 5, 10), False))

    def test_future_invoice_counts_once_posted(self):
        move = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_date": "2999-01-01",
                "invoice_line_ids": [
                    Command.create({"product_id": self.frame.id, "price_unit": 100})
                ],
            }
        )
        posted = move._post(soft=True)
        self.assertFalse(posted)
        self.assertEqual(self.customer.optical_ltv, 0)

    def test_product_change_updates_runout(self):
        self._invoice([(self.monthly, 2, 30)], "2024-01-10")
        self.assertEqual(self.customer.optical_cl_runout_date, date(2024, 7, 8))
        self.monthly.optical_cl_lenses_per_pack = 3
        self.assertEqual(self.customer.optical_cl_runout_date, date(2024, 4, 9))

    def test_contact_lens_product_needs_its_data(self):
        with self.assertRaisesRegex(ValidationError, "replacement period"):
            self._create_product(name="CL", optical_category="contact_lens")
        form = Form(self.env["product.template"])
        form.name = "Toric monthly 3"
        form.optical_category = "contact_lens"
        form.optical_cl_replacement_days = 30
        form.optical_cl_lenses_per_pack = 0
        with self.assertRaisesRegex(ValidationError, "lenses per pack"):
            form.save()

    def test_imported_purchases_count(self):
        # the accountant posting invoices has no optical rights: fine for invoices
        self.env["optical.touchpoint"].sudo().create(
            {
                "partner_id": self.customer.id,
                "datetime": datetime(2023, 6, 1, 12),
                "channel": "store",
                "kind": "purchase",
                "source": "import",
                "external_ref": "legacy-1",
                "product_id": self.monthly.id,
                "quantity": 2,
                "amount": 55,
            }
        )
        self.env["res.partner"]._optical_refresh_profile(self.customer.ids)
        self.assertEqual(self._profile(), (55.0, date(2023, 6, 1), date(2023, 11, 28)))
        self._invoice([(self.frame, 1, 100)], "2024-05-10")
        self.assertEqual(
            self._profile(), (155.0, date(2024, 5, 10), date(2023, 11, 28))
        )

    def test_incremental_matches_full_recompute(self):
        # each event refreshes only the parts of the profile it changes (an
        # invoice without contact lenses leaves the run-out date alone, an exam
        # the purchases): together they give what a full recompute gives
        Ledger = self.env["optical.sale.line"]

        def parts(move):
            lines = Ledger.search([("move_id", "=", move.id)])
            return lines._optical_profile_parts_changed()

        self.assertEqual(
            parts(self._invoice([(self.frame, 1, 100)], "2024-01-05")), ["purchases"]
        )
        cl = self._invoice([(self.monthly, 2, 30)], "2024-01-10")
        self.assertEqual(parts(cl), ["purchases", "contact_lenses"])
        late = self._invoice(
            [(self.daily, 4, 25)], "2024-03-10", partner=self.bystander
        )
        self._reverse(late).action_post()
        self._invoice([(self.frame, 1, 100)], "2024-04-10", partner=self.bystander)
        undone = self._invoice(
            [(self.daily, 2, 25)], "2024-05-10", partner=self.bystander
        )
        undone.button_draft()
        self._invoice([(self.frame, 1, 80)], "2024-06-10")
        self.env["optical.touchpoint"].sudo().create(
            {
                "partner_id": self.bystander.id,
                "datetime": datetime(2024, 7, 1, 12),
                "channel": "store",
                "kind": "purchase",
                "source": "import",
                "external_ref": "legacy-cl",
                "product_id": self.monthly.id,
                "quantity": 1,
                "amount": 30,
            }
        )
        self.env["res.partner"]._optical_refresh_profile(self.bystander.ids)
        exam = (
            self.env["optical.exam"]
            .sudo()
            .create({"partner_id": self.customer.id, "date": "2024-02-02"})
        )
        self.env["optical.prescription"].sudo().create(
            {
                "partner_id": self.customer.id,
                "date": "2024-02-03",
                "exam_id": exam.id,
                "od_sphere": -1,
            }
        )
        fields_ = self.env["res.partner"]._optical_profile_fields()
        partners = self.customer | self.bystander
        incremental = partners.read(fields_)
        self.env.cr.execute(
            "UPDATE res_partner SET optical_ltv = NULL,"
            " optical_last_purchase_date = NULL, optical_cl_runout_date = NULL,"
            " optical_last_exam_date = NULL,"
            " optical_next_exam_date = NULL, optical_last_prescription_date = NULL"
        )
        self.env["res.partner"].invalidate_model(fields_)
        self.env["res.partner"]._optical_refresh_profile()
        self.assertEqual(partners.read(fields_), incremental)
        self.assertEqual(self.bystander.optical_ltv, 130)
        self.assertEqual(self.bystander.optical_cl_runout_date, date(2024, 9, 29))
        self.assertEqual(self.customer.optical_ltv, 240)
        self.assertEqual(self.customer.optical_last_purchase_date, date(2024, 6, 10))
        self.assertEqual(self.customer.optical_cl_runout_date, date(2024, 7, 8))
        self.assertEqual(self.customer.optical_next_exam_date, date(2025, 2, 2))
        self.assertEqual(self.customer.optical_last_prescription_date, date(2024, 2, 3))
