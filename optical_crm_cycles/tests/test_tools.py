import base64
import datetime as dt
import json

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged

from .common import CyclesCase

D = dt.date
NOW = dt.datetime(2026, 3, 6, 10, 0)  # Friday 11:00 in Rome


@tagged("post_install", "-at_install")
class TestTools(CyclesCase):
    @freeze_time(NOW)
    def test_backfill_dry_run_then_enroll(self):
        # invoices posted before the cycle existed
        self.invoice(self.anna, date=D(2026, 1, 10))  # week late, month late
        self.invoice(self.bruno, date=D(2026, 2, 20))  # week late, month ahead
        self.invoice(self.bruno, date=D(2026, 3, 3), product=self.sunglasses)
        cycle = self.make_cycle(
            [
                {"name": "week", "delay_count": 1, "delay_unit": "weeks"},
                {"name": "month", "delay_count": 1, "delay_unit": "months"},
                {"name": "year", "delay_count": 1, "delay_unit": "years"},
            ],
            late_tolerance_days=3,
        )
        self.invoice(self.anna, date=D(2026, 3, 5))  # posted live: enrolled already
        wizard = Form(
            self.env["optical.cycle.backfill"].with_context(default_cycle_id=cycle.id)
        )
        wizard.date_from = D(2026, 1, 1)
        wizard = wizard.save()
        wizard.action_dry_run()
        self.assertEqual(wizard.state, "simulated")
        self.assertEqual(wizard.document_count, 4)
        self.assertEqual(wizard.enroll_count, 2)
        self.assertEqual(wizard.existing_count, 1)
        # Bruno's week step (27 Feb) is 7 days past: late; his month step is ahead
        self.assertEqual(wizard.late_count, 3)
        self.assertEqual(wizard.due_now_count, 0)
        self.assertEqual(wizard.scheduled_count, 3)
        lines = {line.step_id.name: line for line in wizard.line_ids}
        self.assertEqual(lines["week"].late_count, 2)
        self.assertEqual(lines["year"].scheduled_count, 2)
        self.assertEqual(self.Enrollment.search_count([("cycle_id", "=", cycle.id)]), 1)
        wizard.action_enroll()
        self.assertEqual(self.Enrollment.search_count([("cycle_id", "=", cycle.id)]), 3)
        self.assertEqual(
            len(self.executions(cycle).filtered(lambda x: x.reason == "late")), 3
        )
        # again: nothing new
        again = self.env["optical.cycle.backfill"].create(
            {"cycle_id": cycle.id, "date_from": D(2026, 1, 1)}
        )
        again.action_dry_run()
        self.assertEqual((again.enroll_count, again.existing_count), (0, 3))
        with self.assertRaises(UserError):
            self.env["optical.cycle.backfill"].create(
                {"cycle_id": cycle.id, "date_from": D(2026, 1, 1)}
            ).action_enroll()  # no dry run first

    @freeze_time(NOW)
    def test_simulation_calendar_and_customer_timeline(self):
        cycle = self.make_cycle(
            [
                {"name": "week", "delay_count": 1, "delay_unit": "weeks"},
                {
                    "name": "call",
                    "delay_count": 9,
                    "delay_unit": "days",
                    "channel": "phone",
                    "sms_body": False,
                },
            ]
        )
        birthday = self.make_cycle(
            [{"name": "wishes", "delay_count": 0, "delay_unit": "days"}],
            trigger="birthday",
            optical_categories=[Command.clear()],
        )
        self.invoice(self.anna)
        self.invoice(self.bruno)
        self.anna.optical_birthdate = D(1980, 3, 20)  # in two weeks
        simulation = self.env["optical.cycle.simulation"].create(
            {"cycle_ids": [Command.set((cycle | birthday).ids)], "weeks": 3}
        )
        action = simulation.action_compute()
        self.assertEqual(action["res_model"], "optical.cycle.simulation.line")
        self.assertEqual(action["views"][0][1], "pivot")
        counts = {
            (line.day, line.channel, line.projected): line.count
            for line in simulation.line_ids
        }
        self.assertEqual(
            counts,
            {
                (D(2026, 3, 13), "sms", False): 2,
                # Sunday 15 March: calls move to Monday
                (D(2026, 3, 16), "phone", False): 2,
                (D(2026, 3, 20), "sms", True): 1,
            },
        )
        timeline = self.env["optical.cycle.simulation"].create(
            {
                "partner_id": self.anna.id,
                "weeks": 3,
                "cycle_ids": [Command.set((cycle | birthday).ids)],
            }
        )
        timeline.action_compute()
        self.assertEqual(
            [(line.step_id.name, line.state) for line in timeline.line_ids],
            [("week", "scheduled"), ("call", "scheduled"), ("wishes", "planned")],
        )

    def test_results_funnel_and_kanban(self):
        with freeze_time(NOW):
            cycle = self.make_cycle(
                [
                    {"name": "day", "delay_count": 1, "delay_unit": "days"},
                    {"name": "week", "delay_count": 1, "delay_unit": "weeks"},
                ]
            )
            self.invoice(self.anna)
            self.invoice(self.bruno)
            self.assertEqual(cycle.enrollment_running_count, 2)
            self.assertEqual(cycle.execution_due_today_count, 0)
        saturday = NOW + dt.timedelta(days=1)
        with freeze_time(saturday):
            cycle.invalidate_recordset()
            self.assertEqual(cycle.execution_due_today_count, 2)
            self.Execution._optical_dispatch(now=saturday)
            self.send_queue()
        step = cycle.step_ids.sorted("sequence")[0]
        trace = (
            self.executions(cycle, self.anna)
            .filtered(lambda x: x.step_id == step)
            .mailing_trace_id
        )
        trace.set_sent()  # delivery report
        trace.set_clicked()
        with freeze_time(NOW + dt.timedelta(days=3)):
            self.invoice(self.anna, product=self.sunglasses, amount=150)  # converted
            self.bruno._optical_record_consent("sms", "marketing", False, "unsubscribe")
        step.invalidate_recordset()
        cycle.invalidate_recordset()
        self.assertEqual(
            (
                step.sent_count,
                step.delivered_count,
                step.clicked_count,
                step.opted_out_count,
                step.converted_count,
                step.revenue,
            ),
            (2, 1, 1, 1, 1, 150.0),
        )
        self.assertEqual(cycle.execution_sent_count, 2)
        self.assertEqual(cycle.converted_count, 1)
        self.assertEqual(cycle.revenue, 150.0)
        html = str(cycle.timeline_html)
        self.assertIn("+1 day after the trigger", html)
        self.assertIn("Ciao", html)
        self.assertIn("Converted", html)

    def _import(self, payload, company=None):
        return self.env["optical.cycle.import"].create(
            {
                "data_file": base64.b64encode(json.dumps(payload).encode()),
                "company_id": (company or self.company).id,
            }
        )

    def test_export_import_round_trip(self):
        cycle = self.make_cycle(
            [
                {"name": "sms", "delay_count": 1, "delay_unit": "weeks"},
                {
                    "name": "call",
                    "delay_count": 2,
                    "delay_unit": "weeks",
                    "delay_from": "previous",
                    "channel": "phone",
                    "sms_body": False,
                    "activity_summary": "Chiamare",
                },
            ],
            product_ids=[Command.set(self.lenses.ids)],
            reentry_policy="days",
            reentry_days=45,
            segment_id=self.env.ref("optical_crm.optical_segment_recall_lapsed").id,
        )
        action = cycle.action_export_json()
        attachment = self.env["ir.attachment"].browse(
            int(action["url"].split("/")[3].split("?")[0])
        )
        payload = json.loads(attachment.raw)
        self.assertEqual(payload["products"][0]["default_code"], "CL-M")
        self.assertEqual(
            payload["segment"]["xmlid"], "optical_crm.optical_segment_recall_lapsed"
        )
        self.assertEqual(
            payload["steps"][1]["activity_type"]["xmlid"],
            "mail.mail_activity_data_call",
        )
        other = self.env["res.company"].create({"name": "Ottica Due"})
        self.env.user.company_ids |= other
        wizard = self._import(payload, other)
        wizard.action_check()
        self.assertIn("ready to import", wizard.report)
        result = wizard.action_import()
        imported = self.Cycle.with_context(active_test=False).browse(result["res_id"])
        self.assertFalse(imported.active)
        self.assertEqual(imported.company_id, other)
        self.assertEqual(imported._optical_export() | {"name": cycle.name}, payload)

    def test_copy_to_other_shops(self):
        main = self.env.ref("base.main_company")
        shops = self.env["res.company"].create(
            [{"name": "Ottica Nord"}, {"name": "Ottica Sud"}]
        )
        self.env.user.company_ids |= main | shops
        # a consultant working in the main shop, with the cycles the chain ships
        template = self.env.ref(
            "optical_crm_cycles.optical_cycle_template_spectacles"
        ).with_company(main)
        wizard = Form(
            self.env["optical.cycle.copy"]
            .with_company(main)
            .with_context(default_cycle_ids=template.ids)
        )
        for shop in shops:
            wizard.company_ids.add(shop)
        action = wizard.save().action_copy()
        copies = self.Cycle.with_context(**action["context"]).search(action["domain"])
        self.assertEqual(copies.company_id, shops)
        for copy in copies:
            self.assertFalse(copy.active)
            self.assertEqual(copy.name, template.name)
            self.assertEqual(
                copy.step_ids.mapped("sms_body"), template.step_ids.mapped("sms_body")
            )
            # each shop sees its own copy only
            self.assertEqual(
                self.Cycle.with_company(copy.company_id)
                .with_context(
                    allowed_company_ids=copy.company_id.ids, active_test=False
                )
                .search([("id", "in", copies.ids)]),
                copy,
            )
        # a product of this shop only: no other shop can receive the cycle
        self.glasses.company_id = self.company
        cycle = self.make_cycle(product_ids=[Command.set(self.glasses.ids)])
        count = self.Cycle.with_context(active_test=False).search_count([])
        wizard = self.env["optical.cycle.copy"].create(
            {
                "cycle_ids": [Command.set((cycle | template).ids)],
                "company_ids": shops.ids,
            }
        )
        with self.assertRaisesRegex(UserError, "Ottica Nord.*Occhiale progressivo"):
            wizard.action_copy()
        self.assertEqual(
            self.Cycle.with_context(active_test=False).search_count([]), count
        )

    def test_import_reports_every_missing_reference_and_creates_nothing(self):
        payload = self.make_cycle()._optical_export()
        payload["optical_categories"].append("telescopes")
        payload["products"] = [{"default_code": "NOPE", "name": "Introvabile"}]
        payload["steps"].append(
            {
                "name": "call",
                "channel": "phone",
                "delay_unit": "weeks",
                "delay_count": 1,
                "activity_type": {"xmlid": "nowhere.call", "name": "Videochiamata"},
            }
        )
        payload["steps"].append(
            {
                "name": "tpl",
                "channel": "sms",
                "delay_unit": "days",
                "delay_count": 1,
                "sms_template": {"xmlid": "nowhere.sms", "name": "Nessuno"},
            }
        )
        payload["steps"][0]["delay_unit"] = "fortnights"
        payload["segment"] = {"name": "Clienti di Milano"}
        count = self.Cycle.with_context(active_test=False).search_count([])
        wizard = self._import(payload)
        wizard.action_check()
        for text in (
            "telescopes",
            "NOPE",
            "Videochiamata",
            "nowhere.sms",
            "fortnights",
            "Clienti di Milano",
        ):
            self.assertIn(text, wizard.report)
        with self.assertRaisesRegex(UserError, "not imported") as error:
            wizard.action_import()
        self.assertIn("telescopes", str(error.exception))
        self.assertEqual(
            self.Cycle.with_context(active_test=False).search_count([]), count
        )
        with self.assertRaisesRegex(UserError, "not a cycle"):
            self._import({"hello": 1}).action_check()

    @freeze_time(NOW)
    def test_access_and_companies(self):
        cycle = self.make_cycle()
        self.invoice(self.anna)
        user = new_test_user(
            self.env, "cyc_backoffice", groups="optical_crm.group_optical_user"
        )
        as_user = cycle.with_user(user)
        self.assertEqual(as_user.enrollment_running_count, 1)  # can watch
        with self.assertRaises(AccessError):
            as_user.write({"name": "no"})
        with self.assertRaises(AccessError):
            self.Execution.with_user(user).search([]).write({"state": "cancelled"})
        other = self.env["res.company"].create({"name": "Ottica Tre"})
        outsider = new_test_user(
            self.env,
            "cyc_other_shop",
            groups="optical_crm.group_optical_manager",
            company_id=other.id,
            company_ids=[Command.set(other.ids)],
        )
        self.assertFalse(self.Cycle.with_user(outsider).search([("id", "=", cycle.id)]))
        self.assertFalse(
            self.Execution.with_user(outsider).search([("cycle_id", "=", cycle.id)])
        )
        # an accountant without the optical groups posts invoices: enrollment works
        accountant = new_test_user(
            self.env, "cyc_accountant", groups="account.group_account_invoice"
        )
        move = self.invoice(self.bruno, post=False)
        move.with_user(accountant).action_post()
        self.assertEqual(self.Enrollment.search_count([("move_id", "=", move.id)]), 1)
