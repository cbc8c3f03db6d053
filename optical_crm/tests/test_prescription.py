from datetime import date

from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged

from .common import OpticalCase


@tagged("post_install", "-at_install")
class TestPrescription(OpticalCase):
    def _rejected(self, expected, **vals):
        """Creating these values fails with a message containing ``expected``."""
        Prescription = self.env["optical.prescription"].with_user(self.optometrist)
        before = Prescription.search_count([])
        with self.assertRaises(ValidationError) as caught:
            Prescription.create(self.rx_vals(**vals))
        self.assertIn(expected, str(caught.exception))
        self.assertEqual(Prescription.search_count([]), before, "nothing written")
        return str(caught.exception)

    def test_form_as_an_optician_reads_it(self):
        form = Form(self.env["optical.prescription"].with_user(self.optometrist))
        form.partner_id = self.customer
        form.date = date(2024, 3, 1)
        form.od_sphere = -2.25
        form.od_cylinder = -0.75
        form.od_axis = 180
        form.od_addition = 1.5
        form.od_pd = 31.5
        form.os_sphere = -2.0
        form.os_cylinder = -0.5
        form.os_axis = 5
        form.os_addition = 1.5
        form.os_pd = 32
        form.pd = 63.5
        rx = form.save()
        self.assertEqual(rx.expiry_date, date(2025, 3, 1), "valid one year by default")
        self.assertEqual(rx.od_axis, 180)
        self.assertEqual(rx.prescriber_id, self.optometrist)
        self.assertEqual(self.customer.optical_last_prescription_date, rx.date)
        rows = rx._optical_report_rows()
        self.assertEqual(
            rows[0], ("OD", "-2.25", "-0.75", "180", "+1.50", "", "", "31.5")
        )

    def test_form_refuses_bad_value(self):
        form = Form(self.env["optical.prescription"].with_user(self.optometrist))
        form.partner_id = self.customer
        form.od_sphere = -2.1
        with self.assertRaisesRegex(ValidationError, "sphere"):
            form.save()
        self.assertFalse(
            self.env["optical.prescription"].search(
                [("partner_id", "=", self.customer.id)]
            )
        )

    def test_sphere_range_and_steps(self):
        self._rejected("sphere must be between -30.00 and +30.00", od_sphere=30.25)
        self._rejected("Left eye (OS): the sphere", os_sphere=-1.1)
        rx = self.env["optical.prescription"].create(
            self.rx_vals(od_sphere=-30, os_sphere=30)
        )
        self.assertEqual(rx.od_sphere, -30)

    def test_cylinder_range_and_steps(self):
        self._rejected(
            "cylinder must be between -10.00", od_cylinder=-10.25, od_axis=90
        )
        self._rejected("cylinder", os_cylinder=-0.3, os_axis=90)

    def test_axis_required_with_cylinder(self):
        self._rejected("axis is required when the cylinder", od_cylinder=-1)
        self._rejected("axis must be between 0 and 180", od_cylinder=-1, od_axis=181)
        self._rejected("axis must be between 0 and 180", os_axis=-5)

    def test_addition(self):
        self._rejected("addition must be between +0.75 and +4.00", od_addition=0.5)
        self._rejected("addition must be between +0.75 and +4.00", os_addition=4.25)
        self._rejected("addition", od_addition=1.1)
        rx = self.env["optical.prescription"].create(
            self.rx_vals(od_addition=0.75, os_addition=4)
        )
        self.assertEqual(rx.os_addition, 4)

    def test_prism_and_base(self):
        self._rejected("needs its base direction", od_prism=1)
        self._rejected("base is set but there is no prism", os_prism_base="in")
        self._rejected(
            "prism must be between 0.25 and 15.00", od_prism=16, od_prism_base="up"
        )
        rx = self.env["optical.prescription"].create(
            self.rx_vals(od_prism=1.5, od_prism_base="in")
        )
        self.assertEqual(rx._optical_report_rows()[0][5:7], ("1.50", "In"))

    def test_pupillary_distances(self):
        self._rejected("binocular pupillary distance must be between 40 and 80", pd=39)
        self._rejected("binocular pupillary distance", pd=81)
        self._rejected(
            "monocular pupillary distance must be between 20 and 40", od_pd=19
        )
        self._rejected("monocular", os_pd=41)
        self._rejected("do not match", od_pd=30, os_pd=30, pd=64)
        rx = self.env["optical.prescription"].create(
            self.rx_vals(od_pd=31.5, os_pd=32, pd=63.5)
        )
        self.assertEqual(rx.pd, 63.5)

    def test_contact_lens_fields_only_on_contact_lens(self):
        self._rejected("contact lens prescriptions only", cl_base_curve=8.6)
        self._rejected(
            "base curve must be between", kind="contact_lens", cl_base_curve=12
        )
        self._rejected("diameter must be between", kind="contact_lens", cl_diameter=20)
        rx = self.env["optical.prescription"].create(
            self.rx_vals(kind="contact_lens", cl_base_curve=8.6, cl_diameter=14.2)
        )
        self.assertEqual(rx.cl_diameter, 14.2)

    def test_dates_and_exam(self):
        self._rejected("is in the future", date="2999-01-01")
        self._rejected("cannot expire", expiry_date="2024-01-01")
        exam = self.env["optical.exam"].create(
            {"partner_id": self.other_customer.id, "date": "2024-03-01"}
        )
        self._rejected("belongs to another customer", exam_id=exam.id)

    def test_all_problems_reported_at_once(self):
        message = self._rejected("sphere", od_sphere=40, os_cylinder=-1, pd=90)
        self.assertIn("axis is required", message)
        self.assertIn("binocular pupillary distance", message)

    def test_write_is_validated_too(self):
        rx = self.env["optical.prescription"].create(self.rx_vals(od_sphere=-1))
        with self.assertRaisesRegex(ValidationError, "sphere"):
            rx.od_sphere = -1.3
        self.assertEqual(rx.od_sphere, -1)
