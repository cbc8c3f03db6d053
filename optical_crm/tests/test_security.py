from datetime import datetime

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import OpticalCase


@tagged("post_install", "-at_install")
class TestHealthData(OpticalCase):
    """Prescriptions and exams: Optometrist and Manager only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.employee = new_test_user(cls.env, "tp_employee", groups="base.group_user")
        cls.exam = cls.env["optical.exam"].create(
            {"partner_id": cls.customer.id, "date": "2024-02-01"}
        )
        cls.rx = cls.env["optical.prescription"].create(
            {
                "partner_id": cls.customer.id,
                "date": "2024-02-01",
                "exam_id": cls.exam.id,
                "od_sphere": -1,
            }
        )

    def test_optical_user_cannot_read_health_data(self):
        for user in (self.user, self.employee):
            for record in (self.rx, self.exam):
                with self.assertRaises(AccessError):
                    record.with_user(user).read(["date"])
            with self.assertRaises(AccessError):
                self.customer.with_user(user).read(["optical_prescription_ids"])

    def test_optometrist_and_manager_read_and_write(self):
        for user in (self.optometrist, self.manager):
            self.assertEqual(self.rx.with_user(user).od_sphere, -1)
            self.exam.with_user(user).note = "ok"
            self.assertEqual(
                self.customer.with_user(user).optical_prescription_ids, self.rx
            )
        with self.assertRaises(AccessError):
            self.rx.with_user(self.optometrist).unlink()
        self.rx.with_user(self.manager).unlink()

    def test_partner_form_works_for_every_group(self):
        for user, sees_health in (
            (self.employee, False),
            (self.user, False),
            (self.optometrist, True),
            (self.manager, True),
        ):
            partner = self.customer.with_user(user)
            arch = partner.get_views([(False, "form")])["views"]["form"]["arch"]
            self.assertEqual(
                "optical_prescription_ids" in arch, sees_health, user.login
            )
            self.assertEqual("optical_exam_count" in arch, sees_health, user.login)
            self.assertEqual(
                "optical_next_exam_date" in arch, user != self.employee, user.login
            )
            self.assertEqual(
                "action_optical_record_consent" in arch,
                user != self.employee,
                user.login,
            )
            # reading what the form shows does not fail
            fields_ = [
                name
                for name in partner.get_views([(False, "form")])["models"][
                    "res.partner"
                ]["fields"]
                if name.startswith("optical_")
            ]
            # an employee outside Optical CRM gets no optical field at all
            self.assertEqual(bool(fields_), user != self.employee, user.login)
            if fields_:
                partner.read(fields_)
                partner.web_read({name: {} for name in fields_})

    def test_report_for_optometrists_only(self):
        report = self.env["ir.actions.report"]
        html = (
            report.with_user(self.optometrist)
            ._render_qweb_html("optical_crm.optical_prescription_report", self.rx.ids)[
                0
            ]
            .decode()
        )
        self.assertIn("Anna Bianchi", html)
        self.assertIn("-1.00", html)
        with self.assertRaises(AccessError):
            report.with_user(self.user)._render_qweb_html(
                "optical_crm.optical_prescription_report", self.rx.ids
            )


@tagged("post_install", "-at_install")
class TestMultiCompany(OpticalCase):
    """Customers are shared by the shops; each shop sees only its optical data."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shop_b = cls.env["res.company"].create({"name": "Ottica Due"})
        cls.optom_b = new_test_user(
            cls.env,
            "tp_optom_b",
            groups="optical_crm.group_optical_optometrist",
            company_id=cls.shop_b.id,
            company_ids=[cls.shop_b.id],
        )
        cls.optometrist.company_ids = cls.company

    def _in_shop(self, model, vals, company):
        return (
            self.env[model]
            .with_company(company)
            .create(dict(vals, company_id=company.id))
        )

    def _assert_isolated(self, model, vals):
        mine = self._in_shop(model, vals, self.company)
        theirs = self._in_shop(model, vals, self.shop_b)
        Model = self.env[model]
        domain = [("partner_id", "=", self.customer.id)]
        self.assertEqual(Model.with_user(self.optometrist).search(domain), mine)
        self.assertEqual(Model.with_user(self.optom_b).search(domain), theirs)
        with self.assertRaises(AccessError):
            theirs.with_user(self.optometrist).read(["partner_id"])
        # the customer is the same for both shops
        self.assertEqual(self.customer.with_user(self.optom_b).name, "Anna Bianchi")

    def test_rule_prescriptions(self):
        self._assert_isolated(
            "optical.prescription",
            {"partner_id": self.customer.id, "date": "2024-01-01"},
        )

    def test_rule_exams(self):
        self._assert_isolated(
            "optical.exam", {"partner_id": self.customer.id, "date": "2024-01-01"}
        )

    def test_rule_touchpoints(self):
        self._assert_isolated(
            "optical.touchpoint",
            {
                "partner_id": self.customer.id,
                "datetime": datetime(2024, 1, 1, 9),
                "channel": "store",
                "kind": "visit",
            },
        )

    def test_smart_button_counts_follow_the_rules(self):
        self._in_shop(
            "optical.exam",
            {"partner_id": self.customer.id, "date": "2024-01-01"},
            self.shop_b,
        )
        self.assertEqual(
            self.customer.with_user(self.optometrist).optical_exam_count, 0
        )
        self.assertEqual(self.customer.with_user(self.optom_b).optical_exam_count, 1)
