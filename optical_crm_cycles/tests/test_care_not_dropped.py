import datetime as dt

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from ..models.optical_cycle_execution_hold import MAX_HOLDS
from .common import CyclesCase

D = dt.date
NOW = dt.datetime(2026, 3, 6, 10, 0)  # Friday 11:00 in Rome


@tagged("post_install", "-at_install")
class TestCareNotDropped(CyclesCase):
    """Service reminders wait for their next allowed slot (frequency cap, a
    number shared by a family) instead of being skipped, and go before
    promotions in the cap."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        now_step = {"name": "now", "delay_count": 0, "delay_unit": "days"}
        with freeze_time(NOW):
            cls.service = cls.make_cycle(
                [
                    {
                        **now_step,
                        "purpose": "service",
                        "sms_body": "Controllo per " "{{ object.partner_id.name }}",
                    }
                ],
                name="Richiamo",
            )
            cls.promo = cls.make_cycle(
                [{**now_step, "purpose": "marketing"}],
                name="Promo",
                optical_categories=[Command.clear()],
            )
        cls.Policy = cls.env["optical.contact.policy"]

    def log(self, partner, when, purpose):
        self.Policy._optical_log_sent(
            [
                {
                    "partner_id": partner.id,
                    "company_id": self.company.id,
                    "channel": "sms",
                    "purpose": purpose,
                    "datetime": when,
                    "res_model": "res.partner",
                    "res_id": partner.id,
                }
            ]
        )

    def execution(self, cycle, partner):
        return self.executions(cycle, partner)

    def test_service_goes_before_the_promotion_in_the_cap(self):
        self.company.write({"optical_cap_count": 1, "optical_cap_days": 30})
        with freeze_time(NOW):
            self.invoice(self.anna)  # both cycles due now for Anna
            self.dispatch(NOW)
        service = self.execution(self.service, self.anna)
        promo = self.execution(self.promo, self.anna)
        self.assertEqual(service.state, "sent")
        self.assertEqual((promo.state, promo.reason), ("skipped", "frequency_cap"))
        # promotions never push care out: Bruno got a promotion yesterday and
        # his reminder still goes
        self.log(self.bruno, NOW - dt.timedelta(days=1), "marketing")
        with freeze_time(NOW):
            self.invoice(self.bruno)
            self.dispatch(NOW)
        self.assertEqual(self.execution(self.service, self.bruno).state, "sent")

    def test_service_goes_first_in_the_hourly_limit(self):
        with freeze_time(NOW):
            later_service = self.make_cycle(
                [
                    {
                        "name": "now",
                        "delay_count": 0,
                        "delay_unit": "days",
                        "purpose": "service",
                    }
                ],
                name="Richiamo bis",
            )
            self.company.optical_hourly_limit = 2
            self.invoice(self.anna)  # three messages due, room for two
            self.dispatch(NOW)
        self.assertEqual(self.execution(self.service, self.anna).state, "sent")
        self.assertEqual(self.execution(later_service, self.anna).state, "sent")
        promo = self.execution(self.promo, self.anna)
        self.assertEqual((promo.state, promo.defer_reason), ("scheduled", "throttle"))

    def test_capped_reminder_waits_for_room(self):
        self.company.write({"optical_cap_count": 1, "optical_cap_days": 30})
        last = NOW - dt.timedelta(days=10)
        self.log(self.anna, last, "service")
        with freeze_time(NOW):
            self.invoice(self.anna)
            self.dispatch(NOW)
        reminder = self.execution(self.service, self.anna)
        # room again when the last reminder leaves the 30 days (26 March)
        self.assertEqual(
            (reminder.state, reminder.defer_reason, reminder.hold_count),
            ("scheduled", "frequency_cap", 1),
        )
        self.assertEqual(reminder.scheduled_at, last + dt.timedelta(days=30))
        with freeze_time(reminder.scheduled_at):
            self.dispatch(reminder.scheduled_at)
        self.assertEqual((reminder.state, reminder.reason), ("sent", "sent"))

    def test_family_sharing_one_number_each_gets_a_reminder(self):
        Partner = self.env["res.partner"]
        mario = Partner.create({"name": "Mario Rossi", "mobile": "+39 333 555 0000"})
        luca = Partner.create({"name": "Luca Rossi", "mobile": "+39 333 555 0000"})
        with freeze_time(NOW):
            self.invoice(mario)
            self.invoice(luca)
            self.dispatch(NOW)
        mario_x = self.execution(self.service, mario)
        luca_x = self.execution(self.service, luca)
        self.assertEqual(mario_x.state, "sent")
        self.assertEqual(
            (luca_x.state, luca_x.defer_reason), ("scheduled", "shared_address")
        )
        # a day later, inside the window (Saturday 11:00 in Rome)
        self.assertEqual(luca_x.scheduled_at, self.utc(2026, 3, 7, 11))
        with freeze_time(luca_x.scheduled_at):
            self.dispatch(luca_x.scheduled_at)
        self.assertEqual(luca_x.state, "sent")
        bodies = (
            self.env["sms.sms"]
            .sudo()
            .search([("mailing_id", "=", self.service.step_ids.mailing_id.id)])
            .mapped("body")
        )
        self.assertEqual(len(bodies), 2)
        self.assertTrue(any("Mario Rossi" in body for body in bodies))
        self.assertTrue(any("Luca Rossi" in body for body in bodies))

    def test_held_too_often_ends_visible(self):
        self.company.write({"optical_cap_count": 1, "optical_cap_days": 30})
        self.log(self.anna, NOW - dt.timedelta(days=1), "service")
        with freeze_time(NOW):
            self.invoice(self.anna)
            reminder = self.execution(self.service, self.anna)
            reminder.sudo().write({"hold_count": MAX_HOLDS})
            self.dispatch(NOW)
        self.assertEqual(
            (reminder.state, reminder.reason, reminder.failure_type),
            ("failed", "held_back", "frequency_cap"),
        )
        step = self.service.step_ids
        step.invalidate_recordset()
        self.assertEqual(step.failed_count, 1)
        # on the customer: the cycle messages, the undelivered one among them
        action = self.anna.action_optical_view_cycle_messages()
        listed = self.Execution.search(action["domain"])
        self.assertIn(reminder, listed)
