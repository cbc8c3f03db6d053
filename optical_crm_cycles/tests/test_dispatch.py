import datetime as dt

from freezegun import freeze_time

from odoo.tests import RecordCapturer, tagged

from .common import CyclesCase

D = dt.date
NOW = dt.datetime(2026, 3, 6, 10, 0)  # Friday 11:00 in Rome


@tagged("post_install", "-at_install")
class TestDispatch(CyclesCase):
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
                        "name": "week",
                        "delay_count": 1,
                        "delay_unit": "weeks",
                        "skip_if_repurchased": False,
                    },
                ]
            )
        cls.step_now, cls.step_week = cls.cycle.step_ids.sorted("sequence")

    def assert_final_with_reason(self):
        for execution in self.Execution.search([("cycle_id", "=", self.cycle.id)]):
            if execution.state != "scheduled":
                self.assertTrue(execution.reason, f"{execution.display_name} no reason")

    @freeze_time(NOW)
    def test_each_due_step_goes_once_through_the_mailing(self):
        self.invoice(self.anna)
        self.invoice(self.bruno)
        Log = self.env["optical.contact.log"]
        self.assertEqual(self.dispatch(NOW), 2)
        sent = self.executions(self.cycle).filtered(lambda x: x.state == "sent")
        self.assertEqual(sent.step_id, self.step_now)
        self.assertEqual(sent.mapped("reason"), ["sent", "sent"])
        traces = sent.mailing_trace_id
        self.assertEqual(len(traces), 2)
        self.assertEqual(traces.mass_mailing_id, self.step_now.mailing_id)
        self.assertEqual(set(traces.mapped("res_id")), set(sent.ids))
        sms = (
            self.env["sms.sms"]
            .sudo()
            .search([("mailing_id", "=", self.step_now.mailing_id.id)])
        )
        self.assertEqual(
            sorted(sms.mapped("number")), ["+393331234567", "+393477654321"]
        )
        self.assertIn(
            "Ciao Anna Rossi", sms.filtered(lambda s: s.number == "+393331234567").body
        )
        self.assertIn("STOP SMS", sms[0].body)  # marketing: opt-out link
        logs = Log.search(
            [
                ("res_model", "=", "optical.cycle.step"),
                ("res_id", "=", self.step_now.id),
            ]
        )
        self.assertEqual(logs.partner_id, self.anna | self.bruno)
        self.assertEqual(logs.mailing_trace_id, traces)
        # nothing twice: a second run finds nothing due
        self.assertEqual(self.dispatch(NOW), 0)
        self.assertEqual(
            self.env["sms.sms"]
            .sudo()
            .search_count([("mailing_id", "=", self.step_now.mailing_id.id)]),
            2,
        )
        # the queue sends them to the provider
        self.send_queue()
        self.assertEqual(
            sorted(
                number
                for number, _body, _uuid in self.fake.received
                if number in ("+393331234567", "+393477654321")
            ),
            ["+393331234567", "+393477654321"],
        )
        self.assertEqual(set(traces.mapped("trace_status")), {"pending"})
        # a week later: the second step; Anna enrolled again by a new invoice
        # gets the first step again (one mailing trace per execution)
        later = NOW + dt.timedelta(days=7)
        with freeze_time(later):
            self.invoice(self.anna, date=D(2026, 3, 13))
            self.assertEqual(self.dispatch(later), 3)
        anna_now = self.executions(self.cycle, self.anna).filtered(
            lambda x: x.step_id == self.step_now
        )
        self.assertEqual(anna_now.mapped("state"), ["sent", "sent"])
        self.assertEqual(len(anna_now.mailing_trace_id), 2)
        self.assert_final_with_reason()

    @freeze_time(NOW)
    def test_policy_rechecked_at_send_time(self):
        carla = self.env["res.partner"].create(
            {"name": "Carla Verdi", "mobile": "+39 320 111 2222"}
        )  # no consent
        dario = self.env["res.partner"].create(
            {"name": "Dario", "phone": "+39 06 1234 5678"}
        )
        dario._optical_record_consent("sms", "marketing", True, "store")
        for partner in (self.anna, carla, dario):
            self.invoice(partner)
        self.invoice(self.anna)  # two enrollments due in the same batch
        self.company.write({"optical_cap_count": 5, "optical_cap_days": 30})
        self.dispatch(NOW)
        result = {
            (x.partner_id.name, x.state, x.reason)
            for x in self.executions(self.cycle).filtered(
                lambda x: x.step_id == self.step_now
            )
        }
        self.assertEqual(
            result,
            {
                ("Anna Rossi", "sent", "sent"),
                ("Anna Rossi", "skipped", "duplicate"),
                ("Carla Verdi", "skipped", "no_consent"),
                ("Dario", "skipped", "not_mobile"),
            },
        )
        # frequency cap: one message a month at most
        self.company.optical_cap_count = 1
        self.invoice(self.anna)
        self.dispatch(NOW)
        capped = self.executions(self.cycle, self.anna).filtered(
            lambda x: x.step_id == self.step_now and x.reason == "frequency_cap"
        )
        self.assertEqual(capped.state, "skipped")
        self.assert_final_with_reason()

    def test_quiet_hours_and_hourly_limit_defer(self):
        saturday_night = dt.datetime(2026, 3, 14, 21, 0)  # 22:00 in Rome
        with freeze_time(saturday_night):
            self.invoice(self.anna, date=D(2026, 3, 14))
            self.invoice(self.bruno, date=D(2026, 3, 14))
            due = self.executions(self.cycle).filtered(
                lambda x: x.step_id == self.step_now
            )
            # enrolled on Saturday 22:00: planned for the next opening
            self.assertEqual(
                set(due.mapped("scheduled_at")), {self.utc(2026, 3, 16, 9)}
            )
            # forced due now (e.g. a late cron): deferred, never dropped
            due.write({"scheduled_at": saturday_night})
            self.dispatch(saturday_night)
            self.assertEqual(set(due.mapped("state")), {"scheduled"})
            self.assertEqual(set(due.mapped("defer_reason")), {"quiet_hours"})
            self.assertEqual(
                set(due.mapped("scheduled_at")), {self.utc(2026, 3, 16, 9)}
            )
        monday = self.utc(2026, 3, 16, 9, 5)
        self.company.optical_hourly_limit = 1
        with freeze_time(monday):
            self.dispatch(monday)
        self.assertEqual(sorted(due.mapped("state")), ["scheduled", "sent"])
        waiting = due.filtered(lambda x: x.state == "scheduled")
        self.assertEqual(waiting.defer_reason, "throttle")
        self.assertEqual(waiting.scheduled_at, self.utc(2026, 3, 16, 10))
        with freeze_time(waiting.scheduled_at):
            self.dispatch(waiting.scheduled_at)
        self.assertEqual(waiting.state, "sent")

    @freeze_time(NOW)
    def test_phone_step_creates_the_call_activity(self):
        self.step_now.write({"channel": "phone", "activity_summary": "Chiamare"})
        self.invoice(self.anna)
        self.invoice(self.bruno)
        self.dispatch(NOW)
        calls = self.executions(self.cycle).filtered(
            lambda x: x.step_id == self.step_now
        )
        self.assertEqual(set(calls.mapped("reason")), {"call_planned"})
        activities = calls.activity_id
        self.assertEqual(activities.mapped("res_model"), ["res.partner"] * 2)
        self.assertEqual(
            set(activities.mapped("res_id")), {self.anna.id, self.bruno.id}
        )
        self.assertEqual(
            activities.activity_type_id, self.env.ref("mail.mail_activity_data_call")
        )
        self.assertEqual(set(activities.mapped("summary")), {"Chiamare"})
        anna_call = calls.filtered(lambda x: x.partner_id == self.anna)
        anna_call.activity_id.action_feedback(feedback="Soddisfatta")
        self.assertTrue(anna_call.call_done)
        log = self.env["optical.contact.log"].search(
            [
                ("res_model", "=", "optical.cycle.step"),
                ("res_id", "=", self.step_now.id),
            ]
        )
        self.assertEqual((log.partner_id, log.channel), (self.anna, "phone"))
        bruno_call = calls - anna_call
        bruno_call.activity_id.unlink()
        self.assertEqual(
            (bruno_call.state, bruno_call.reason), ("cancelled", "call_cancelled")
        )

    @freeze_time(NOW)
    def test_email_step(self):
        self.step_now.write(
            {
                "channel": "email",
                "email_subject": "Come va, {{ object.partner_id.name }}?",
                "email_body": '<p>Buongiorno <t t-out="object.partner_id.name"/></p>',
            }
        )
        self.invoice(self.anna)
        self.dispatch(NOW)
        execution = self.executions(self.cycle).filtered(
            lambda x: x.step_id == self.step_now
        )
        self.assertEqual((execution.state, execution.reason), ("sent", "sent"))
        mail = (
            self.env["mail.mail"]
            .sudo()
            .search([("mailing_id", "=", self.step_now.mailing_id.id)])
        )
        self.assertEqual(len(mail), 1)
        self.assertIn("Anna Rossi", mail.body_html)
        self.assertEqual(mail.recipient_ids, self.anna)
        self.assertEqual(execution.mailing_trace_id.mail_mail_id_int, mail.id)
        self.assertEqual(execution.mailing_trace_id.trace_type, "mail")

    def test_temporary_failures_retried_permanent_failed(self):
        carla = self.env["res.partner"].create(
            {"name": "Carla", "mobile": "+39 320 111 2222"}
        )
        carla._optical_record_consent("sms", "marketing", True, "store")
        with freeze_time(NOW):
            for partner in (self.anna, self.bruno, carla):
                self.invoice(partner)
            self.dispatch(NOW)
        self.fake.states.update(
            {
                "+393331234567": "server_error",
                "+393477654321": "wrong_number_format",
                "+393201112222": "server_error",
            }
        )
        self.send_queue()
        due = self.executions(self.cycle).filtered(lambda x: x.step_id == self.step_now)
        anna, bruno, carla_x = (
            due.filtered(lambda x, p=p: x.partner_id == p)
            for p in (self.anna, self.bruno, carla)
        )
        when = NOW
        self.dispatch(when)  # reconcile: wait for the first retry, fail the permanent
        self.assertEqual(
            (bruno.state, bruno.reason, bruno.failure_type),
            ("failed", "provider_refused", "sms_number_format"),
        )
        self.assertEqual(anna.state, "sent")
        self.assertEqual(anna.retry_at, NOW + dt.timedelta(minutes=15))
        self.fake.states.pop("+393331234567")  # Anna's provider recovers
        for attempt in range(1, 5):
            when = when + dt.timedelta(days=1)
            self.dispatch(when)  # requeue
            self.send_queue()
            self.dispatch(when)  # schedule the next retry if it failed again
            if attempt == 1:
                self.assertEqual((anna.state, anna.retry_count), ("sent", 1))
                self.assertEqual(anna.trace_status, "pending")
        self.assertEqual(
            (carla_x.state, carla_x.reason, carla_x.retry_count),
            ("failed", "retries_exhausted", 3),
        )
        received = [number for number, _b, _u in self.fake.received]
        self.assertEqual(received.count("+393331234567"), 1)
        self.assertNotIn("+393201112222", received)
        self.assertEqual(self.fake.calls.count("+393201112222"), 4)
        self.assert_final_with_reason()

    def test_unconfirmed_failure_never_queued_again(self):
        """A failure the provider did not confirm (here IAP's answer is not one
        Odoo knows: "unknown") may hide a delivered message: the execution ends
        failed "outcome unknown", the message is never queued again."""
        with freeze_time(NOW):
            self.invoice(self.anna)
            self.dispatch(NOW)
        self.fake.states["+393331234567"] = "no_such_state"
        self.send_queue()
        execution = self.executions(self.cycle).filtered(
            lambda x: x.step_id == self.step_now
        )
        self.assertEqual(execution.mailing_trace_id.failure_type, "unknown")
        when = NOW
        for _day in range(4):
            when += dt.timedelta(days=1)
            self.dispatch(when)
            self.send_queue()
        self.assertEqual(
            (execution.state, execution.reason, execution.retry_count),
            ("failed", "outcome_unknown", 0),
        )
        self.assertEqual(self.fake.calls.count("+393331234567"), 1)
        self.assert_final_with_reason()

    @freeze_time(NOW)
    def test_broken_step_isolated_and_batches_bounded(self):
        broken = self.make_cycle(
            [
                {
                    "name": "broken",
                    "delay_count": 0,
                    "delay_unit": "days",
                    "sms_body": "{{ object.partner_id.no_such_field }}",
                }
            ]
        )
        partners = self.env["res.partner"].create(
            [
                {"name": f"Cliente {i}", "mobile": f"+39 333 000 00{i:02d}"}
                for i in range(5)
            ]
        )
        partners._optical_record_consent("sms", "marketing", True, "store")
        for partner in partners:
            self.invoice(partner)
        cron = self.env.ref("optical_crm_cycles.ir_cron_cycle_dispatch")
        with RecordCapturer(
            self.env["ir.cron.trigger"].sudo(), [("cron_id", "=", cron.id)]
        ) as capture:
            self.assertEqual(self.dispatch(NOW, batch_size=4, max_batches=1), 4)
        self.assertTrue(capture.records, "the rest is left to another run")
        self.assertEqual(self.dispatch(NOW, batch_size=4), 6)
        failed = self.executions(broken)
        self.assertEqual(set(failed.mapped("state")), {"failed"})
        self.assertEqual(set(failed.mapped("reason")), {"error"})
        good = self.executions(self.cycle).filtered(
            lambda x: x.step_id == self.step_now
        )
        self.assertEqual(set(good.mapped("state")), {"sent"})
        self.assertEqual(len(good), 5)

    def test_cron_and_manual_button(self):
        with freeze_time(NOW):
            self.invoice(self.anna)
        with freeze_time(NOW + dt.timedelta(hours=1)):
            self.env.ref(
                "optical_crm_cycles.ir_cron_cycle_dispatch"
            ).method_direct_trigger()
            execution = self.executions(self.cycle).filtered(
                lambda x: x.step_id == self.step_now
            )
            self.assertEqual(execution.state, "sent")
            self.invoice(self.bruno)
            action = self.cycle.action_dispatch_now()
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(
            self.executions(self.cycle, self.bruno)
            .filtered(lambda x: x.step_id == self.step_now)
            .state,
            "sent",
        )
