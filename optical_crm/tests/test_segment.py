import datetime as dt

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

TODAY = dt.date(2026, 3, 10)


@tagged("post_install", "-at_install")
class TestSegment(AccountTestInvoicingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.groups_id += cls.env.ref("optical_crm.group_optical_manager")
        Product = cls.env["product.product"]
        cls.glasses = Product.create(
            {"name": "Occhiali da vista", "optical_category": "spectacles"}
        )
        cls.sunglasses = Product.create(
            {"name": "Occhiali da sole", "optical_category": "sunglasses"}
        )
        Partner = cls.env["res.partner"]
        cls.kid = Partner.create(
            {
                "name": "Luca Piccolo",
                "optical_birthdate": dt.date(2014, 9, 20),  # 11
            }
        )
        cls.teen = Partner.create(
            {
                "name": "Sara Media",
                "optical_birthdate": dt.date(2008, 3, 11),  # 17, 18 tomorrow
            }
        )
        cls.adult = Partner.create(
            {
                "name": "Paolo Adulto",
                "optical_birthdate": dt.date(1980, 3, 1),
            }
        )
        cls.unknown = Partner.create({"name": "Senza Data"})
        cls.people = cls.kid | cls.teen | cls.adult | cls.unknown
        # purchases: adult bought glasses long ago and sunglasses last year, teen
        # bought glasses recently, kid bought sunglasses three years ago
        cls.invoice(cls.adult, "2019-05-01", cls.glasses)
        cls.invoice(cls.adult, "2025-06-01", cls.sunglasses)
        cls.invoice(cls.teen, "2026-01-15", cls.glasses)
        cls.invoice(cls.kid, "2023-02-01", cls.sunglasses)
        # a draft invoice is no purchase
        cls.invoice(cls.unknown, "2026-01-15", cls.glasses, post=False)
        Prescription = cls.env["optical.prescription"].sudo()
        Prescription.create({"partner_id": cls.adult.id, "date": "2023-01-10"})
        Prescription.create({"partner_id": cls.teen.id, "date": "2022-01-10"})
        Prescription.create({"partner_id": cls.teen.id, "date": "2025-12-01"})
        (cls.kid | cls.adult)._optical_record_consent("sms", "marketing", True, "store")
        cls.adult._optical_record_consent("sms", "marketing", False, "phone")
        # recall and run-out as the profile refresh would set them from exams and
        # lens purchases (written last: invoices and prescriptions refresh them)
        cls.kid.write(
            {
                "optical_next_exam_date": dt.date(2026, 3, 25),
                "optical_last_exam_date": dt.date(2025, 2, 20),
            }
        )
        cls.teen.write(
            {
                "optical_next_exam_date": dt.date(2025, 11, 1),
                "optical_cl_runout_date": dt.date(2026, 3, 20),
            }
        )
        cls.adult.write(
            {
                "optical_next_exam_date": dt.date(2026, 6, 1),
                "optical_last_exam_date": dt.date(2025, 6, 1),
                "optical_cl_runout_date": dt.date(2026, 5, 1),
            }
        )

    @classmethod
    def invoice(cls, partner, date, product, post=True):
        move = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_date": date,
                "invoice_line_ids": [
                    Command.create({"product_id": product.id, "price_unit": 100.0})
                ],
            }
        )
        if post:
            move.action_post()
        return move

    def segment(self, **values):
        values.setdefault("name", "Test")
        values["domain"] = repr([("id", "in", self.people.ids)])
        return self.env["optical.segment"].create(values)

    def members(self, **values):
        segment = self.segment(**values)
        partners = segment._optical_partners()
        self.assertEqual(segment._optical_count(), len(partners))
        return partners

    @freeze_time(TODAY)
    def test_age_and_birthday(self):
        self.assertEqual(self.members(age_min=6, age_max=18), self.kid | self.teen)
        self.assertEqual(self.members(age_min=18), self.adult)
        self.assertEqual(self.members(age_max=11), self.kid)
        self.assertEqual(self.members(birthday_month="3"), self.teen | self.adult)
        self.assertEqual(
            self.env["res.partner"].search(
                [("optical_birth_month", "in", [9]), ("id", "in", self.people.ids)]
            ),
            self.kid,
        )

    @freeze_time(TODAY)
    def test_purchases(self):
        self.assertEqual(
            self.members(bought_category="spectacles"), self.adult | self.teen
        )
        self.assertEqual(
            self.members(bought_category="spectacles", bought_months=12), self.teen
        )
        # "Primavera: occhiali da sole": glasses, no sunglasses in two years
        self.assertEqual(
            self.members(
                bought_category="spectacles",
                not_bought_category="sunglasses",
                not_bought_months=24,
            ),
            self.teen,
        )
        self.assertEqual(
            self.members(not_bought_category="sunglasses"), self.teen | self.unknown
        )

    @freeze_time(TODAY)
    def test_exams_lenses_prescriptions(self):
        self.assertEqual(
            self.members(exam_filter="due", exam_due_days=30), self.kid, "25 March"
        )
        self.assertEqual(
            self.members(exam_filter="overdue", exam_overdue_months=3), self.teen
        )
        self.assertEqual(
            self.members(exam_filter="due_or_overdue", exam_due_days=90),
            self.kid | self.teen | self.adult,
        )
        # never examined counts as "over 12 months ago"
        self.assertEqual(
            self.members(last_exam_months=12), self.kid | self.teen | self.unknown
        )
        self.assertEqual(self.members(cl_runout_days=15), self.teen)
        # the latest prescription decides
        self.assertEqual(self.members(prescription_months=24), self.adult)
        self.assertEqual(self.members(prescription_months=2), self.adult | self.teen)

    @freeze_time(TODAY)
    def test_shop_consent_and_free_domain(self):
        other = self.env["res.company"].create({"name": "Ottica Due"})
        self.unknown.company_id = other
        shop = self.segment(shop_id=other.id)
        # (only the other shop's users see its customers)
        self.assertEqual(
            self.env["res.partner"].sudo().search(shop._optical_domain()), self.unknown
        )
        self.assertEqual(
            self.members(shop_id=self.env.company.id),
            self.kid | self.teen | self.adult,
            "customers who bought in the shop",
        )
        self.assertEqual(self.members(consent_channel="sms"), self.kid)
        segment = self.segment(age_min=6)
        segment.domain = repr(
            [("id", "in", self.people.ids), ("name", "ilike", "luca")]
        )
        self.assertEqual(segment._optical_partners(), self.kid)
        # segments are reusable in any partner domain (cycles, mailings)
        self.assertEqual(
            self.env["res.partner"].search(
                [("optical_segment_filter", "=", segment.id)]
            ),
            self.kid,
        )

    @freeze_time(TODAY)
    def test_live_count_and_bad_input(self):
        user = new_test_user(
            self.env, "seg_user", groups="optical_crm.group_optical_user"
        )
        with Form(self.env["optical.segment"].with_user(user)) as form:
            form.name = "Ragazzi"
            form.domain = repr([("id", "in", self.people.ids)])
            self.assertEqual(form.partner_count, 4)
            form.age_min = 6
            form.age_max = 18
            self.assertEqual(form.partner_count, 2)
            form.bought_category = "spectacles"
            self.assertEqual(form.partner_count, 1)
        with self.assertRaisesRegex(ValidationError, "minimum age"):
            self.segment(age_min=30, age_max=20)
        with self.assertRaisesRegex(ValidationError, "not a valid filter"):
            self.env["optical.segment"].create(
                {"name": "Bad", "domain": "[('no_such_field', '=', 1)]"}
            )
        with self.assertRaisesRegex(ValidationError, "not a valid filter"):
            self.env["optical.segment"].create({"name": "Bad", "domain": "[("})
        with self.assertRaisesRegex(ValidationError, "cannot be negative"):
            self.segment(cl_runout_days=-1)

    def test_multi_company(self):
        other = self.env["res.company"].create({"name": "Ottica Tre"})
        mine = self.segment()
        theirs = self.env["optical.segment"].create(
            {"name": "Theirs", "company_id": other.id}
        )
        user = new_test_user(
            self.env,
            "seg_shop_user",
            groups="optical_crm.group_optical_user",
            company_id=self.env.company.id,
            company_ids=[Command.set(self.env.company.ids)],
        )
        Segment = (
            self.env["optical.segment"].with_user(user).with_context(active_test=False)
        )
        visible = Segment.search([])
        self.assertIn(mine, visible)
        self.assertNotIn(theirs, visible)
        self.assertIn(
            self.env.ref("optical_crm.optical_segment_template_back_to_school"),
            visible,
            "ready-made segments are shared by every shop",
        )
        campaign = self.env["optical.campaign"].create(
            {"name": "Theirs", "company_id": other.id, "segment_id": theirs.id}
        )
        self.assertFalse(
            self.env["optical.campaign"]
            .with_user(user)
            .search([("id", "=", campaign.id)])
        )
        templates = (
            self.env["optical.campaign"]
            .with_user(user)
            .with_context(active_test=False)
            .search([("is_template", "=", True)])
        )
        self.assertEqual(len(templates), 3)
        with self.assertRaises(UserError):
            # a shop's campaign cannot use another shop's segment
            self.env["optical.campaign"].create(
                {"name": "Mixed", "segment_id": theirs.id}
            )
