import datetime as dt
from ast import literal_eval

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import CyclesCase

D = dt.date


@tagged("post_install", "-at_install")
class TestEnrollment(CyclesCase):
    @freeze_time("2026-03-06 10:00:00")  # Friday 11:00 in Rome
    def test_schedule_relative_in_shop_timezone_and_send_window(self):
        cycle = self.make_cycle(
            [
                {"name": "hours", "delay_count": 3, "delay_unit": "hours"},
                {"name": "week", "delay_count": 1, "delay_unit": "weeks"},
                {"name": "sunday", "delay_count": 9, "delay_unit": "days"},
                {"name": "month", "delay_count": 1, "delay_unit": "months"},
                {
                    "name": "after",
                    "delay_count": 2,
                    "delay_unit": "days",
                    "delay_from": "previous",
                },
            ]
        )
        self.invoice(date=D(2026, 3, 6))
        enrollment = self.Enrollment.search([("cycle_id", "=", cycle.id)])
        self.assertEqual(len(enrollment), 1)
        self.assertEqual(enrollment.trigger_date, D(2026, 3, 6))
        by_step = {x.step_id.name: x for x in enrollment.execution_ids}
        expected = {
            # posted today: hours count from the posting moment
            "hours": (self.utc(2026, 3, 6, 14), self.utc(2026, 3, 6, 14)),
            "week": (self.utc(2026, 3, 13, 10), self.utc(2026, 3, 13, 10)),
            # Sunday 15 March: closed, Monday opens at 9:00
            "sunday": (self.utc(2026, 3, 15, 10), self.utc(2026, 3, 16, 9)),
            # 6 April 2026 is Easter Monday (public holiday), DST already on
            "month": (self.utc(2026, 4, 6, 10), self.utc(2026, 4, 7, 9)),
            # counted from the previous step's planned day
            "after": (self.utc(2026, 4, 8, 10), self.utc(2026, 4, 8, 10)),
        }
        for name, (planned, scheduled) in expected.items():
            self.assertEqual(by_step[name].planned_at, planned, name)
            self.assertEqual(by_step[name].scheduled_at, scheduled, name)
            self.assertEqual(by_step[name].state, "scheduled")
            self.assertEqual(by_step[name].channel, "sms")

    @freeze_time("2026-03-06 10:00:00")
    def test_segment_filter(self):
        adults = self.env["optical.segment"].create({"name": "Adulti", "age_min": 18})
        cycle = self.make_cycle(segment_id=adults.id)
        self.anna.optical_birthdate = D(1990, 5, 1)
        self.bruno.optical_birthdate = D(2015, 5, 1)
        self.invoice(partner=self.anna, date=D(2026, 3, 6))
        self.invoice(partner=self.bruno, date=D(2026, 3, 6))
        enrolled = self.Enrollment.search([("cycle_id", "=", cycle.id)])
        self.assertEqual(enrolled.partner_id, self.anna)
        # a segment of another shop cannot be chosen
        other = self.env["res.company"].create({"name": "Ottica Due"})
        theirs = self.env["optical.segment"].create(
            {"name": "Loro", "company_id": other.id}
        )
        with self.assertRaises(UserError):
            cycle.segment_id = theirs

    @freeze_time("2026-03-06 10:00:00")
    def test_filters_category_product(self):
        cycle = self.make_cycle()
        by_product = self.make_cycle(
            optical_categories=[Command.clear()],
            product_ids=[Command.set(self.lenses.ids)],
        )
        self.invoice(product=self.sunglasses)
        self.assertFalse(self.Enrollment.search([("cycle_id", "=", cycle.id)]))
        self.invoice(product=self.glasses)
        self.assertEqual(self.Enrollment.search_count([("cycle_id", "=", cycle.id)]), 1)
        self.assertFalse(self.Enrollment.search([("cycle_id", "=", by_product.id)]))
        self.invoice(product=self.lenses)
        self.assertEqual(
            self.Enrollment.search_count([("cycle_id", "=", by_product.id)]), 1
        )
        # credit notes and vendor bills never enroll; other shops' cycles neither
        other = self.env["res.company"].create({"name": "Ottica Due"})
        self.make_cycle(company_id=other.id)
        self.assertEqual(
            self.Enrollment.search_count([("company_id", "=", other.id)]), 0
        )

    @freeze_time("2026-03-06 10:00:00")
    def test_shops_with_cycles_follow_every_change(self):
        # posting asks a cached list of the shops with cycles: every change of
        # a cycle or of its steps is seen by the next posting
        shop = self.company.id
        shops = self.Cycle._optical_shop_ids_with_cycles
        self.assertNotIn(shop, shops())
        self.invoice()
        self.assertFalse(self.Enrollment.search([]))
        cycle = self.Cycle.create(
            {
                "name": "Occhiali",
                "trigger": "invoice_posted",
                "optical_categories": [Command.set([self.category["spectacles"].id])],
            }
        )
        self.assertNotIn(shop, shops())  # no step yet
        self.env["optical.cycle.step"].create(
            {
                "cycle_id": cycle.id,
                "name": "week",
                "delay_count": 1,
                "delay_unit": "weeks",
                "channel": "sms",
                "sms_body": "Ciao {{ object.partner_id.name }}",
            }
        )
        self.assertIn(shop, shops())
        self.invoice()
        self.assertEqual(len(self.Enrollment.search([("cycle_id", "=", cycle.id)])), 1)
        cycle.action_archive()
        self.assertNotIn(shop, shops())
        self.invoice()
        self.assertEqual(len(self.Enrollment.search([("cycle_id", "=", cycle.id)])), 1)
        cycle.action_unarchive()
        self.assertIn(shop, shops())
        self.invoice()
        self.assertEqual(len(self.Enrollment.search([("cycle_id", "=", cycle.id)])), 2)

    @freeze_time("2026-03-06 10:00:00")
    def test_one_enrollment_per_invoice_whatever_happens(self):
        cycle = self.make_cycle()
        move = self.invoice()
        enrollment = self.Enrollment.search([("cycle_id", "=", cycle.id)])
        # the trigger again (a second _post, a concurrent transaction retried):
        # the unique index absorbs it
        key = f"account.move,{move.id}"
        self.Enrollment._optical_follow_sales({key})
        candidates = cycle._optical_sale_candidates(
            self.Cycle._optical_sale_documents([key])
        )
        self.assertEqual(
            self.Enrollment._optical_insert(candidates, fields.Datetime.now()), []
        )
        self.assertEqual(
            self.Enrollment.search([("cycle_id", "=", cycle.id)]), enrollment
        )
        self.assertEqual(len(enrollment.execution_ids), 2)

        # reset to draft: pending steps stop with the reason
        move.button_draft()
        self.assertEqual(enrollment.state, "stopped")
        self.assertEqual(enrollment.stop_reason, "invoice_draft")
        self.assertEqual(set(enrollment.execution_ids.mapped("state")), {"cancelled"})
        self.assertEqual(
            set(enrollment.execution_ids.mapped("reason")), {"invoice_draft"}
        )
        # posted again with another date: the same enrollment comes back
        move.invoice_date = D(2026, 3, 9)
        move.action_post()
        self.assertEqual(
            self.Enrollment.search([("cycle_id", "=", cycle.id)]), enrollment
        )
        self.assertEqual(enrollment.state, "running")
        self.assertEqual(set(enrollment.execution_ids.mapped("state")), {"scheduled"})
        self.assertEqual(
            min(enrollment.execution_ids.mapped("planned_at")),
            self.utc(2026, 3, 16, 10),
        )
        # cancelled: reason "cancelled", not "draft"
        move.button_cancel()
        self.assertEqual(enrollment.stop_reason, "invoice_cancelled")
        self.assertEqual(
            set(enrollment.execution_ids.mapped("reason")), {"invoice_cancelled"}
        )

    @freeze_time("2026-03-06 10:00:00")
    def test_late_posting_skips_past_steps(self):
        cycle = self.make_cycle(
            [
                {"name": "week", "delay_count": 1, "delay_unit": "weeks"},
                {"name": "5 weeks", "delay_count": 5, "delay_unit": "weeks"},
                {"name": "6 weeks", "delay_count": 6, "delay_unit": "weeks"},
                {"name": "year", "delay_count": 1, "delay_unit": "years"},
            ],
            late_tolerance_days=2,
        )
        # dated 5 weeks ago + 1 day: "5 weeks" is one day late (within tolerance)
        self.invoice(date=D(2026, 1, 29))
        by_step = {x.step_id.name: x for x in self.executions(cycle)}
        self.assertEqual(by_step["week"].state, "skipped")
        self.assertEqual(by_step["week"].reason, "late")
        self.assertEqual(by_step["5 weeks"].state, "scheduled")
        # due now: at once (Friday 11:00 is inside the window)
        self.assertEqual(by_step["5 weeks"].scheduled_at, fields.Datetime.now())
        self.assertEqual(by_step["6 weeks"].planned_at, self.utc(2026, 3, 12, 10))
        self.assertEqual(by_step["year"].planned_at, self.utc(2027, 1, 29, 10))
        self.assertEqual(by_step["year"].state, "scheduled")

    @freeze_time("2026-03-06 10:00:00")
    def test_reentry_policies(self):
        always = self.make_cycle(name="always")
        never = self.make_cycle(name="never", reentry_policy="never")
        days = self.make_cycle(name="days", reentry_policy="days", reentry_days=30)
        self.invoice(date=D(2026, 1, 2))
        self.invoice(date=D(2026, 1, 20))
        self.invoice(date=D(2026, 3, 6))

        def count(cycle):
            return self.Enrollment.search_count([("cycle_id", "=", cycle.id)])

        self.assertEqual(count(always), 3)
        self.assertEqual(count(never), 1)
        # 20 January is within 30 days of 2 January; 6 March is not
        self.assertEqual(count(days), 2)
        # an invoice cancelled does not count as a previous enrollment
        never_bruno = self.invoice(partner=self.bruno, date=D(2026, 3, 1))
        never_bruno.button_cancel()
        self.invoice(partner=self.bruno, date=D(2026, 3, 6))
        self.assertEqual(
            self.Enrollment.search_count(
                [
                    ("cycle_id", "=", never.id),
                    ("partner_id", "=", self.bruno.id),
                    ("state", "=", "running"),
                ]
            ),
            1,
        )

    @freeze_time("2026-03-06 10:00:00")
    def test_repurchase_same_category_stops_marked_steps(self):
        cycle = self.make_cycle(
            [
                {"name": "week", "delay_count": 1, "delay_unit": "weeks"},
                {
                    "name": "year",
                    "delay_count": 1,
                    "delay_unit": "years",
                    "skip_if_repurchased": False,
                },
            ],
            reentry_policy="never",
        )
        self.invoice(date=D(2026, 3, 2))
        first = self.Enrollment.search([("cycle_id", "=", cycle.id)])
        # another category: nothing happens
        self.invoice(product=self.sunglasses)
        self.assertEqual(set(first.execution_ids.mapped("state")), {"scheduled"})
        # glasses again (not enrolled again: policy "never"): the week step stops
        self.invoice(date=D(2026, 3, 6))
        by_step = {x.step_id.name: x for x in first.execution_ids}
        self.assertEqual(by_step["week"].state, "cancelled")
        self.assertEqual(by_step["week"].reason, "repurchased")
        self.assertEqual(by_step["year"].state, "scheduled")
        self.assertEqual(first.state, "running")

    @freeze_time("2026-03-06 10:00:00")
    def test_credit_notes(self):
        cycle = self.make_cycle()
        move = self.invoice(amount=300)
        enrollment = self.Enrollment.search([("cycle_id", "=", cycle.id)])
        # a partial credit note leaves the cycle running
        wizard = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=move.ids)
            .create({"journal_id": move.journal_id.id, "reason": "reso parziale"})
        )
        refund = self.env["account.move"].browse(wizard.refund_moves()["res_id"])
        refund.invoice_line_ids.price_unit = 100
        refund.action_post()
        self.assertEqual(enrollment.state, "running")
        # the rest credited too: fully credited, the steps stop
        wizard = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=move.ids)
            .create({"journal_id": move.journal_id.id, "reason": "reso"})
        )
        refund = self.env["account.move"].browse(wizard.refund_moves()["res_id"])
        refund.invoice_line_ids.price_unit = 200
        refund.action_post()
        self.assertEqual(enrollment.state, "stopped")
        self.assertEqual(enrollment.stop_reason, "invoice_credited")
        self.assertEqual(
            set(enrollment.execution_ids.mapped("reason")), {"invoice_credited"}
        )

    def test_exits_at_send_time(self):
        with freeze_time("2026-03-06 10:00:00"):
            cycle = self.make_cycle(
                [{"name": "now", "delay_count": 0, "delay_unit": "days"}],
                late_tolerance_days=5,
            )
            self.invoice(self.anna, date=D(2026, 3, 4))
            self.invoice(self.bruno, date=D(2026, 3, 4))
            carla = self.env["res.partner"].create(
                {"name": "Carla", "mobile": "+39 320 000 1111"}
            )
            carla._optical_record_consent("sms", "marketing", True, "store")
            self.invoice(carla, date=D(2026, 3, 4))
            # after enrolling: Anna opts out, Bruno is archived, Carla's invoice
            # goes back to draft through a path that bypasses button_draft
            self.anna._optical_record_consent("sms", "marketing", False, "phone")
            self.bruno.active = False
            carla_move = self.env["account.move"].search(
                [("partner_id", "=", carla.id)]
            )
            carla_move.write({"state": "draft"})
            self.dispatch(fields.Datetime.now())
        states = {
            x.partner_id: (x.state, x.reason, x.enrollment_id.stop_reason)
            for x in self.executions(cycle)
        }
        self.assertEqual(states[self.anna], ("cancelled", "opt_out", "opt_out"))
        self.assertEqual(
            states[self.bruno],
            ("cancelled", "partner_archived", "partner_archived"),
        )
        self.assertEqual(states[carla], ("cancelled", "invoice_draft", "invoice_draft"))
        # the cycle archived: nothing more goes out
        with freeze_time("2026-03-06 10:00:00"):
            self.invoice(self.anna, date=D(2026, 3, 6))
            cycle.active = False
            self.dispatch(fields.Datetime.now())
        self.assertEqual(
            self.executions(cycle)
            .filtered(lambda x: x.reason == "cycle_archived")
            .state,
            "cancelled",
        )

    @freeze_time("2026-03-06 10:00:00")
    def test_exam_done_and_newer_exam(self):
        cycle = self.make_cycle(
            [{"name": "year", "delay_count": 1, "delay_unit": "years"}],
            trigger="exam_done",
            optical_categories=[Command.clear()],
        )
        Exam = self.env["optical.exam"]
        first = Exam.create({"partner_id": self.anna.id, "date": D(2026, 1, 10)})
        enrollment = self.Enrollment.search([("cycle_id", "=", cycle.id)])
        self.assertEqual(enrollment.source_ref, first)
        self.assertEqual(enrollment.trigger_date, D(2026, 1, 10))
        first.write({"date": D(2026, 1, 11)})  # no second enrollment
        self.assertEqual(self.Enrollment.search_count([("cycle_id", "=", cycle.id)]), 1)
        self.assertEqual(enrollment.execution_ids.state, "scheduled")
        Exam.create({"partner_id": self.anna.id, "date": D(2026, 3, 6)})
        self.assertEqual(enrollment.execution_ids.reason, "newer_exam")
        self.assertEqual(enrollment.stop_reason, "newer_exam")
        self.assertEqual(self.Enrollment.search_count([("cycle_id", "=", cycle.id)]), 2)

    @freeze_time("2026-03-06 01:00:00")
    def test_date_triggers_daily(self):
        runout = self.make_cycle(
            [{"name": "remind", "delay_count": 0, "delay_unit": "days"}],
            trigger="cl_runout",
            trigger_days=10,
            optical_categories=[Command.clear()],
        )
        birthday = self.make_cycle(
            [{"name": "wishes", "delay_count": 0, "delay_unit": "days"}],
            trigger="birthday",
            optical_categories=[Command.clear()],
        )
        expiry = self.make_cycle(
            [{"name": "renew", "delay_count": 0, "delay_unit": "days"}],
            trigger="prescription_expiry",
            trigger_days=7,
            optical_categories=[Command.clear()],
        )
        # customers of the shop: bought contact lenses here
        self.invoice(self.anna, date=D(2026, 1, 5), product=self.lenses)
        self.invoice(self.bruno, date=D(2026, 1, 5), product=self.sunglasses)
        stranger = self.env["res.partner"].create(
            {"name": "Mai visto", "optical_birthdate": D(1990, 3, 6)}
        )
        Rx = self.env["optical.prescription"]
        old = Rx.create(
            {
                "partner_id": self.anna.id,
                "date": D(2024, 3, 1),
                "expiry_date": D(2026, 3, 10),
            }
        )
        Rx.create(
            {
                "partner_id": self.bruno.id,
                "date": D(2024, 3, 1),
                "expiry_date": D(2026, 3, 10),
            }
        )
        Rx.create(
            {
                "partner_id": self.bruno.id,
                "date": D(2025, 3, 1),
                "expiry_date": D(2027, 3, 1),
            }
        )
        # run-out dates written last: prescriptions refresh the profile
        self.anna.write(
            {
                "optical_cl_runout_date": D(2026, 3, 12),
                "optical_birthdate": D(1980, 3, 6),
            }
        )
        # born on 29 February: wished on 28 February in other years
        self.bruno.write(
            {
                "optical_cl_runout_date": D(2026, 3, 12),
                "optical_birthdate": D(1992, 2, 29),
            }
        )
        self.Cycle._cron_date_triggers()
        self.Cycle._cron_date_triggers()  # idempotent

        def enrolled(cycle):
            return self.Enrollment.search([("cycle_id", "=", cycle.id)])

        # Bruno bought no contact lenses here; Anna's run out in 6 days (< 10)
        self.assertEqual(enrolled(runout).partner_id, self.anna)
        self.assertEqual(enrolled(runout).source_key, "cl_runout:2026-03-12")
        self.assertEqual(
            enrolled(runout).execution_ids.planned_at, self.utc(2026, 3, 6, 10)
        )
        self.assertEqual(enrolled(birthday).partner_id, self.anna)  # not the stranger
        # Bruno's newer prescription supersedes the expiring one
        self.assertEqual(enrolled(expiry).source_ref, old)
        self.assertNotIn(stranger, enrolled(birthday).partner_id)
        with freeze_time("2027-02-28 01:00:00"):
            self.Cycle._cron_date_triggers()
        self.assertIn(self.bruno, enrolled(birthday).partner_id)
        # a new run-out date (lenses bought again) enrolls again
        with freeze_time("2026-04-01 01:00:00"):
            self.anna.optical_cl_runout_date = D(2026, 4, 5)
            self.Cycle._cron_date_triggers()
        self.assertEqual(len(enrolled(runout)), 2)

    def test_form_and_steps_mailing(self):
        with Form(self.Cycle) as form:
            form.name = "Da form"
            form.trigger = "invoice_posted"
            with form.step_ids.new() as step:
                step.name = "Settimana"
                step.delay_count = 1
                step.delay_unit = "weeks"
                step.channel = "sms"
                step.sms_body = "Ciao {{ object.partner_id.name }}"
            with form.step_ids.new() as step:
                step.name = "Chiamata"
                step.channel = "phone"
                step.delay_count = 2
                step.delay_unit = "weeks"
                step.delay_from = "previous"
        cycle = form.record
        sms_step, call = cycle.step_ids.sorted("id")
        self.assertEqual(sms_step.mailing_id.mailing_type, "sms")
        self.assertEqual(
            sms_step.mailing_id.body_plaintext, "Ciao {{ object.partner_id.name }}"
        )
        self.assertEqual(
            sms_step.mailing_id.mailing_model_real, "optical.cycle.execution"
        )
        self.assertEqual(sms_step.mailing_id.campaign_id, cycle.campaign_id)
        self.assertEqual(sms_step.mailing_id.optical_cycle_step_id, sms_step)
        self.assertTrue(sms_step.mailing_id.sms_allow_unsubscribe)
        self.assertFalse(call.mailing_id)
        self.assertEqual(
            call.activity_type_id, self.env.ref("mail.mail_activity_data_call")
        )
        self.assertEqual(call.delay_label, "+2 weeks after the previous step")
        # a cycle mailing cannot be launched from Email/SMS Marketing
        with self.assertRaisesRegex(Exception, "automated cycle"):
            sms_step.mailing_id.action_put_in_queue()
        action = self.env.ref("mass_mailing_sms.mailing_mailing_action_sms")
        self.assertNotIn(
            sms_step.mailing_id,
            self.env["mailing.mailing"].search(literal_eval(action.domain)),
        )
        # switching an SMS step to email keeps one mailing, now an email
        sms_step.write(
            {
                "channel": "email",
                "email_subject": "Oggetto",
                "email_body": "<p>Testo</p>",
            }
        )
        self.assertEqual(sms_step.mailing_id.mailing_type, "mail")
        self.assertEqual(sms_step.mailing_id.subject, "Oggetto")
        copy = cycle.copy()
        self.assertEqual(len(copy.step_ids), 2)
        self.assertNotEqual(copy.step_ids.mailing_id, cycle.step_ids.mailing_id)

    def test_templates_are_inactive_italian(self):
        templates = (
            self.Cycle.sudo()
            .with_context(active_test=False)
            .search(
                [
                    (
                        "id",
                        "in",
                        [
                            self.env.ref(
                                f"optical_crm_cycles.optical_cycle_template_{name}"
                            ).id
                            for name in (
                                "spectacles",
                                "contact_lenses",
                                "annual_exam",
                                "birthday",
                            )
                        ],
                    )
                ]
            )
        )
        self.assertEqual(len(templates), 4)
        self.assertFalse(any(templates.mapped("active")))
        spectacles = self.env.ref(
            "optical_crm_cycles.optical_cycle_template_spectacles"
        ).sudo()
        self.assertEqual(spectacles.name, "Occhiale correttivo")
        self.assertEqual(
            [(s.delay_count, s.delay_unit) for s in spectacles.step_ids],
            [(1, "weeks"), (1, "months"), (1, "years")],
        )
        lenses = self.env.ref(
            "optical_crm_cycles.optical_cycle_template_contact_lenses"
        ).sudo()
        self.assertEqual((lenses.trigger, lenses.trigger_days), ("cl_runout", 10))
        self.assertIn("lenti a contatto", lenses.step_ids.sms_body)
        # inactive templates enroll nobody
        self.invoice()
        self.assertFalse(
            self.Enrollment.sudo().search([("cycle_id", "in", templates.ids)])
        )
