import datetime as dt

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.optical_crm.tests.test_multi_company_isolation import IsolationMixin

from .common import CyclesCase

NOW = dt.datetime(2026, 3, 6, 10, 0)  # Friday 11:00 in Rome


@tagged("post_install", "-at_install")
class TestCyclesSecurity(IsolationMixin, CyclesCase):
    """Cycles never carry health data, and each shop sees only its own cycles."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_shops()

    def _exam_cycle(self, body, company=None):
        company = company or self.company
        return (
            self.Cycle.sudo()
            .with_company(company)
            .create(
                {
                    "name": "Dopo la visita",
                    "trigger": "exam_done",
                    "company_id": company.id,
                    "step_ids": [
                        Command.create(
                            {
                                "name": "subito",
                                "channel": "sms",
                                "delay_count": 0,
                                "delay_unit": "days",
                                "skip_if_repurchased": False,
                                "sms_body": body,
                            }
                        )
                    ],
                }
            )
        )

    def test_steps_refuse_health_placeholders(self):
        for body in (
            "{{ object.partner_id.optical_prescription_ids.od_sphere }}",
            "{{ object.enrollment_id.source_ref.prescription_ids }}",
            "Visite: {{ object.partner_id.optical_exam_count }}",
        ):
            with self.assertRaisesRegex(ValidationError, "health data", msg=body):
                self._exam_cycle(body)
        cycle = self._exam_cycle("Ciao {{ object.partner_id.name }}")
        with self.assertRaisesRegex(ValidationError, "health data"):
            cycle.step_ids.sms_body = "{{ object.enrollment_id.source_ref.od_sphere }}"

    @freeze_time(NOW)
    @mute_logger("odoo.addons.optical_crm_cycles.models.optical_cycle_execution")
    def test_dispatch_cannot_reach_the_exam_behind_an_enrollment(self):
        """An ``exam_done`` step reaching for the exam through the enrollment's
        source document fails with a reason; no SMS goes out."""
        cycle = self._exam_cycle(
            "Ciao {{ object.partner_id.name }}: "
            "{{ object.enrollment_id.source_ref.note }}"
        )
        self.env["optical.exam"].create(
            {"partner_id": self.anna.id, "date": NOW.date(), "note": "Glaucoma"}
        )
        execution = self.executions(cycle)
        self.assertEqual(len(execution), 1)
        self.dispatch(NOW)
        self.assertEqual((execution.state, execution.reason), ("failed", "error"))
        sms = self.env["sms.sms"].sudo().search([("body", "ilike", "Glaucoma")])
        self.assertFalse(sms)
        self.assertFalse(execution.mailing_trace_id)

    @freeze_time(NOW)
    def test_cycles_enrollments_executions_per_shop(self):
        cycles = (
            self._exam_cycle("Ciao {{ object.partner_id.name }}", self.shop_b),
            self._exam_cycle("Ciao {{ object.partner_id.name }}", self.company),
        )
        for cycle in cycles:
            self.env["optical.exam"].sudo().with_company(cycle.company_id).create(
                {
                    "partner_id": self.customer.id,
                    "date": NOW.date(),
                    "company_id": cycle.company_id.id,
                }
            )
        self.assertIsolated(*cycles)
        self.assertIsolated(*(cycle.step_ids for cycle in cycles))
        enrollments = tuple(
            self.Enrollment.sudo().search([("cycle_id", "=", cycle.id)])
            for cycle in cycles
        )
        self.assertTrue(all(enrollments))
        self.assertIsolated(*enrollments)
        self.assertIsolated(*(enrollment.execution_ids for enrollment in enrollments))
