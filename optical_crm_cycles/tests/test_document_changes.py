import datetime as dt

from freezegun import freeze_time

from odoo import Command
from odoo.tests import Form, tagged

from .common import CyclesCase

D = dt.date
NOW = dt.datetime(2026, 3, 6, 10, 0)  # Friday 11:00 in Rome


@tagged("post_install", "-at_install")
class TestDocumentChanges(CyclesCase):
    """A corrected source document (invoice, exam, prescription): what is
    planned goes to its current customer from its current date; what was
    planned for the old version is cancelled with a reason; what was sent
    stays sent to whom it went."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with freeze_time(NOW):
            cls.cycle = cls.make_cycle(
                [
                    {
                        "name": "now",
                        "delay_count": 0,
                        "delay_unit": "days",
                        "skip_if_repurchased": False,
                    },
                    {
                        "name": "month",
                        "delay_count": 1,
                        "delay_unit": "months",
                        "skip_if_repurchased": False,
                    },
                ]
            )
        cls.step_now, cls.step_month = cls.cycle.step_ids.sorted("sequence")

    def enrollment(self, partner):
        return self.Enrollment.search(
            [("cycle_id", "=", self.cycle.id), ("partner_id", "=", partner.id)]
        )

    def by_step(self, enrollment):
        return {x.step_id: x for x in enrollment.execution_ids}

    def edit(self, move, **values):
        with Form(move) as form:
            for name, value in values.items():
                setattr(form, name, value)

    def credit_in_full(self, move):
        wizard = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=move.ids)
            .create({"journal_id": move.journal_id.id, "reason": "reso"})
        )
        refund = self.env["account.move"].browse(wizard.refund_moves()["res_id"])
        refund.action_post()
        return refund

    def test_invoice_given_to_another_customer(self):
        with freeze_time(NOW):
            move = self.invoice(self.anna, date=D(2026, 3, 6))
            self.dispatch(NOW)  # Anna gets the first step
            anna = self.enrollment(self.anna)
            anna_steps = self.by_step(anna)
            self.assertEqual(anna_steps[self.step_now].state, "sent")
        # corrected two weeks later: it was Bruno's purchase, dated 4 March
        later = NOW + dt.timedelta(days=14)
        with freeze_time(later):
            move.button_draft()
            self.edit(move, partner_id=self.bruno, invoice_date=D(2026, 3, 4))
            move.action_post()
        # Anna: history kept, what was still planned cancelled with the reason
        self.assertEqual(
            (anna.state, anna.stop_reason), ("stopped", "customer_changed")
        )
        self.assertEqual(anna.partner_id, self.anna)
        self.assertEqual(anna.trigger_date, D(2026, 3, 6))
        self.assertEqual(
            (anna_steps[self.step_now].state, anna_steps[self.step_now].partner_id),
            ("sent", self.anna),
        )
        self.assertEqual(
            (anna_steps[self.step_month].state, anna_steps[self.step_month].reason),
            ("cancelled", "customer_changed"),
        )
        # Bruno: his own enrollment from the new posting; a step already past
        # by more than the tolerance is "late", as for any back-dated invoice
        bruno = self.enrollment(self.bruno)
        self.assertEqual(len(bruno), 1)
        self.assertEqual((bruno.state, bruno.trigger_date), ("running", D(2026, 3, 4)))
        self.assertEqual(bruno.move_id, move)
        bruno_steps = self.by_step(bruno)
        self.assertEqual(bruno.execution_ids.partner_id, self.bruno)
        self.assertEqual(
            (bruno_steps[self.step_now].state, bruno_steps[self.step_now].reason),
            ("skipped", "late"),
        )
        self.assertEqual(bruno_steps[self.step_month].state, "scheduled")
        self.assertEqual(
            bruno_steps[self.step_month].planned_at, self.utc(2026, 4, 4, 10)
        )
        # a month later only Bruno is written to
        month = self.utc(2026, 4, 4, 11)
        with freeze_time(month):
            self.dispatch(month)
        self.assertEqual(bruno_steps[self.step_month].state, "sent")
        sms = (
            self.env["sms.sms"]
            .sudo()
            .search([("mailing_id", "=", self.step_month.mailing_id.id)])
        )
        self.assertEqual(sms.mapped("number"), ["+393477654321"])
        self.assertEqual(anna.execution_ids.mapped("partner_id"), self.anna)

    @freeze_time(NOW)
    def test_credit_note_after_repost_stops_the_current_customer(self):
        move = self.invoice(self.anna, date=D(2026, 3, 6))
        move.button_draft()
        self.edit(move, partner_id=self.bruno)
        move.action_post()
        self.credit_in_full(move)
        bruno = self.enrollment(self.bruno)
        self.assertEqual(
            (bruno.state, bruno.stop_reason), ("stopped", "invoice_credited")
        )
        self.assertEqual(
            set(bruno.execution_ids.mapped("reason")), {"invoice_credited"}
        )
        self.assertEqual(self.enrollment(self.anna).stop_reason, "customer_changed")

    @freeze_time(NOW)
    def test_repost_with_another_date_moves_the_trigger(self):
        move = self.invoice(self.anna, date=D(2026, 3, 6))
        enrollment = self.enrollment(self.anna)
        move.button_draft()
        self.edit(move, invoice_date=D(2026, 3, 5))
        move.action_post()
        self.assertEqual(self.enrollment(self.anna), enrollment)
        self.assertEqual(
            (enrollment.state, enrollment.trigger_date), ("running", D(2026, 3, 5))
        )
        self.assertEqual(
            self.by_step(enrollment)[self.step_month].planned_at,
            self.utc(2026, 4, 5, 10),
        )

    @freeze_time(NOW)
    def test_repost_with_lines_that_no_longer_match(self):
        move = self.invoice(self.anna, date=D(2026, 3, 6))
        enrollment = self.enrollment(self.anna)
        move.button_draft()
        move.invoice_line_ids.product_id = self.sunglasses
        move.action_post()
        self.assertEqual(
            (enrollment.state, enrollment.stop_reason), ("stopped", "document_changed")
        )
        self.assertEqual(
            set(enrollment.execution_ids.mapped("reason")), {"document_changed"}
        )
        # corrected back: the same enrollment comes back
        move.button_draft()
        move.invoice_line_ids.product_id = self.glasses
        move.action_post()
        self.assertEqual(enrollment.state, "running")
        self.assertEqual(set(enrollment.execution_ids.mapped("state")), {"scheduled"})

    def test_cancelled_then_reposted_for_another_customer_and_back(self):
        with freeze_time(NOW):
            move = self.invoice(self.anna, date=D(2026, 3, 6))
            self.dispatch(NOW)
            anna = self.enrollment(self.anna)
            move.button_cancel()
            move.button_draft()
            self.edit(move, partner_id=self.bruno)
            move.action_post()
            self.assertEqual(anna.stop_reason, "customer_changed")
            bruno = self.enrollment(self.bruno)
            self.assertEqual(bruno.state, "running")
            # due today: goes at once
            self.assertLessEqual(self.by_step(bruno)[self.step_now].scheduled_at, NOW)
            # back to Anna: her enrollment comes back, the step she already got
            # is not sent again; Bruno's stops
            move.button_draft()
            self.edit(move, partner_id=self.anna)
            move.action_post()
            self.dispatch(NOW)
        self.assertEqual(bruno.stop_reason, "customer_changed")
        self.assertEqual(anna.state, "running")
        anna_steps = self.by_step(anna)
        self.assertEqual(anna_steps[self.step_now].state, "sent")
        self.assertEqual(anna_steps[self.step_month].state, "scheduled")
        sms = (
            self.env["sms.sms"]
            .sudo()
            .search([("mailing_id", "=", self.step_now.mailing_id.id)])
        )
        self.assertEqual(sms.mapped("number"), ["+393331234567"])

    @freeze_time(NOW)
    def test_exam_moved_to_another_customer_or_date(self):
        cycle = self.make_cycle(
            [{"name": "year", "delay_count": 1, "delay_unit": "years"}],
            trigger="exam_done",
            optical_categories=[Command.clear()],
        )
        exam = self.env["optical.exam"].create(
            {"partner_id": self.anna.id, "date": D(2026, 3, 2)}
        )
        anna = self.Enrollment.search([("cycle_id", "=", cycle.id)])
        # another date: the same enrollment, from the new date
        exam.date = D(2026, 3, 4)
        self.assertEqual((anna.state, anna.trigger_date), ("running", D(2026, 3, 4)))
        self.assertEqual(anna.execution_ids.planned_at, self.utc(2027, 3, 4, 10))
        self.assertEqual(anna.execution_ids.state, "scheduled")
        # another customer: Anna's stops, Bruno is enrolled
        exam.partner_id = self.bruno
        self.assertEqual(
            (anna.state, anna.stop_reason), ("stopped", "customer_changed")
        )
        self.assertEqual(anna.execution_ids.reason, "customer_changed")
        bruno = self.Enrollment.search(
            [("cycle_id", "=", cycle.id), ("partner_id", "=", self.bruno.id)]
        )
        self.assertEqual(bruno.execution_ids.partner_id, self.bruno)
        self.assertEqual(bruno.execution_ids.state, "scheduled")
        # the exam deleted: nothing planned for it goes out
        exam.unlink()
        self.assertEqual(
            (bruno.state, bruno.stop_reason), ("stopped", "document_changed")
        )

    @freeze_time("2026-03-06 01:00:00")
    def test_prescription_given_to_another_customer(self):
        cycle = self.make_cycle(
            [{"name": "renew", "delay_count": 0, "delay_unit": "days"}],
            trigger="prescription_expiry",
            trigger_days=7,
            optical_categories=[Command.clear()],
        )
        self.invoice(self.anna, date=D(2026, 1, 5))
        rx = self.env["optical.prescription"].create(
            {
                "partner_id": self.anna.id,
                "date": D(2024, 3, 1),
                "expiry_date": D(2026, 3, 10),
            }
        )
        self.Cycle._cron_date_triggers()
        anna = self.Enrollment.search([("cycle_id", "=", cycle.id)])
        self.assertEqual(anna.partner_id, self.anna)
        rx.partner_id = self.bruno
        self.assertEqual(
            (anna.state, anna.stop_reason), ("stopped", "customer_changed")
        )
        self.assertEqual(anna.execution_ids.state, "cancelled")
