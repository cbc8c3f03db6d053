from datetime import date

from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged

from .common import OpticalCase


@tagged("post_install", "-at_install")
class TestExam(OpticalCase):
    def _touchpoints(self, exam):
        return self.env["optical.touchpoint"].search(
            [("res_model", "=", "optical.exam"), ("res_id", "=", exam.id)]
        )

    def test_exam_form_sets_recall_and_profile(self):
        self.company.optical_recall_months = 18
        form = Form(self.env["optical.exam"].with_user(self.optometrist))
        form.partner_id = self.customer
        form.date = date(2024, 5, 10)
        self.assertEqual(form.next_exam_date, date(2025, 11, 10))
        exam = form.save()
        self.assertEqual(exam.examiner_id, self.optometrist)
        self.assertEqual(self.customer.optical_last_exam_date, date(2024, 5, 10))
        self.assertEqual(self.customer.optical_next_exam_date, date(2025, 11, 10))
        touchpoint = self._touchpoints(exam)
        self.assertEqual(len(touchpoint), 1)
        self.assertEqual(touchpoint.kind, "exam")
        self.assertEqual(touchpoint.partner_id, self.customer)
        self.assertEqual(touchpoint.datetime.date(), date(2024, 5, 10))

    def test_latest_exam_decides_and_changes_follow(self):
        Exam = self.env["optical.exam"]
        old = Exam.create({"partner_id": self.customer.id, "date": "2023-01-10"})
        new = Exam.create(
            {
                "partner_id": self.customer.id,
                "date": "2024-02-01",
                "next_exam_date": "2024-08-01",
            }
        )
        self.assertEqual(self.customer.optical_last_exam_date, date(2024, 2, 1))
        self.assertEqual(self.customer.optical_next_exam_date, date(2024, 8, 1))
        # a recorded exam moved to another customer follows, both profiles change
        new.partner_id = self.other_customer
        self.assertEqual(self.customer.optical_last_exam_date, date(2023, 1, 10))
        self.assertEqual(self.customer.optical_next_exam_date, date(2024, 1, 10))
        self.assertEqual(self.other_customer.optical_next_exam_date, date(2024, 8, 1))
        self.assertEqual(self._touchpoints(new).partner_id, self.other_customer)
        old.unlink()
        self.assertFalse(self.customer.optical_last_exam_date)
        self.assertFalse(self.customer.optical_next_exam_date)
        self.assertFalse(self._touchpoints(old))

    def test_saving_again_records_no_second_touchpoint(self):
        exam = self.env["optical.exam"].create(
            {"partner_id": self.customer.id, "date": "2024-02-01"}
        )
        exam.note = "Visus 10/10"
        exam.date = date(2024, 2, 2)
        self.assertEqual(len(self._touchpoints(exam)), 1)
        self.assertEqual(self._touchpoints(exam).datetime.date(), date(2024, 2, 2))

    def test_bad_dates_rejected(self):
        Exam = self.env["optical.exam"]
        with self.assertRaisesRegex(ValidationError, "is in the future"):
            Exam.create({"partner_id": self.customer.id, "date": "2999-01-01"})
        with self.assertRaisesRegex(ValidationError, "must come after this exam"):
            Exam.create(
                {
                    "partner_id": self.customer.id,
                    "date": "2024-01-01",
                    "next_exam_date": "2023-12-01",
                }
            )
        self.assertFalse(Exam.search([("partner_id", "=", self.customer.id)]))
        self.assertFalse(self.customer.optical_last_exam_date)

    def test_recall_interval_validated(self):
        with self.assertRaisesRegex(ValidationError, "between 1 and 60 months"):
            self.company.optical_recall_months = 0

    def test_prescriptions_from_the_exam(self):
        exam = self.env["optical.exam"].create(
            {"partner_id": self.customer.id, "date": "2024-02-01"}
        )
        form = Form(self.env["optical.prescription"])
        form.exam_id = exam
        self.assertEqual(form.partner_id, self.customer)
        self.assertEqual(form.date, date(2024, 2, 1))
        form.od_sphere = -1
        rx = form.save()
        self.assertEqual(exam.prescription_ids, rx)
        self.assertEqual(exam.prescription_count, 1)

    def test_birthdate_validated(self):
        form = Form(self.env["res.partner"].with_user(self.user))
        form.name = "Bimbo Futuro"
        form.optical_birthdate = date(2999, 1, 1)
        with self.assertRaisesRegex(ValidationError, "must be between 01/01/1900"):
            form.save()
        form.optical_birthdate = date(2015, 6, 1)
        partner = form.save()
        self.assertGreaterEqual(partner.optical_age, 9)
