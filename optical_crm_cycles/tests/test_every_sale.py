import datetime as dt
import json

from freezegun import freeze_time

from odoo import Command, fields
from odoo.tests import Form, HttpCase, new_test_user, tagged

from .common import CyclesCase

D = dt.date
NOW = dt.datetime(2026, 3, 6, 10, 0)  # Friday 11:00 in Rome


@tagged("post_install", "-at_install")
class TestEverySale(CyclesCase):
    """Every sale of the sales ledger starts the cycles: invoices, sales
    receipts, purchases sent by another system; the imported history only
    through the backfill, and never with a message for a day already past."""

    def enrollment(self, cycle, partner):
        return self.Enrollment.search(
            [("cycle_id", "=", cycle.id), ("partner_id", "=", partner.id)]
        )

    def steps(self, enrollment):
        return {x.step_id.name: x for x in enrollment.execution_ids}

    def ledger(self, record):
        return self.env["optical.sale.line"].search(
            [("res_model", "=", record._name), ("res_id", "=", record.id)]
        )

    @freeze_time(NOW)
    def test_receipt_starts_the_cycle_like_an_invoice(self):
        cycle = self.make_cycle()
        receipt = self.receipt(self.anna, date=D(2026, 3, 4))
        self.invoice(self.bruno, date=D(2026, 3, 4))
        self.assertEqual(self.ledger(receipt).kind, "receipt")
        anna = self.enrollment(cycle, self.anna)
        bruno = self.enrollment(cycle, self.bruno)
        self.assertEqual(
            (anna.move_id, anna.source_ref, anna.trigger_date),
            (receipt, receipt, D(2026, 3, 4)),
        )
        self.assertEqual(anna.source_display, receipt.name)
        # from the receipt's date, as for an invoice of the same day
        self.assertEqual(
            anna.execution_ids.mapped("planned_at"),
            bruno.execution_ids.mapped("planned_at"),
        )
        self.assertEqual(self.steps(anna)["week"].planned_at, self.utc(2026, 3, 11, 10))
        # the cycle's filters read the receipt's lines
        self.receipt(self.anna, product=self.sunglasses)
        self.assertEqual(self.enrollment(cycle, self.anna), anna)

        # reset to draft: the pending steps stop with the reason
        receipt.button_draft()
        self.assertEqual((anna.state, anna.stop_reason), ("stopped", "invoice_draft"))
        self.assertEqual(set(anna.execution_ids.mapped("reason")), {"invoice_draft"})
        # posted again: the same enrollment comes back, never a second one
        receipt.action_post()
        self.assertEqual(self.enrollment(cycle, self.anna), anna)
        self.assertEqual(anna.state, "running")
        self.assertEqual(set(anna.execution_ids.mapped("state")), {"scheduled"})
        # cancelled: the reason says so
        receipt.button_cancel()
        self.assertEqual(
            (anna.state, anna.stop_reason), ("stopped", "invoice_cancelled")
        )
        self.assertEqual(
            set(anna.execution_ids.mapped("reason")), {"invoice_cancelled"}
        )

    @freeze_time(NOW)
    def test_refund_of_a_receipt_stops_the_pending_steps(self):
        cycle = self.make_cycle()
        receipt = self.receipt(self.anna, amount=300)
        enrollment = self.enrollment(cycle, self.anna)

        def refund(amount):
            credit = receipt._reverse_moves([{"invoice_date": NOW.date()}])
            credit.invoice_line_ids.price_unit = amount
            credit.action_post()
            return credit

        partial = refund(100)
        self.assertEqual(
            set(self.ledger(partial).mapped("origin_key")),
            {f"account.move,{receipt.id}"},
        )
        self.assertEqual(enrollment.state, "running")
        refund(200)
        self.assertEqual(
            (enrollment.state, enrollment.stop_reason), ("stopped", "invoice_credited")
        )
        self.assertEqual(
            set(enrollment.execution_ids.mapped("reason")), {"invoice_credited"}
        )

    @freeze_time(NOW)
    def test_imported_history_enrolls_only_through_the_backfill(self):
        # Bruno's invoice of yesterday, posted before the cycle existed
        self.invoice(self.bruno, date=D(2026, 3, 5))
        cycle = self.make_cycle(
            [
                {"name": "now", "delay_count": 0, "delay_unit": "days"},
                {"name": "week", "delay_count": 1, "delay_unit": "weeks"},
            ],
            late_tolerance_days=2,
        )
        # Anna's purchase of yesterday, imported today: nothing enrolls by itself
        imported = self.purchase(
            self.anna, dt.datetime(2026, 3, 5, 11), source="import", document="SC-7"
        )
        line = self.ledger(imported)
        self.assertEqual(line.kind, "import")
        self.assertFalse(self.Enrollment.search([("cycle_id", "=", cycle.id)]))
        wizard = Form(
            self.env["optical.cycle.backfill"].with_context(default_cycle_id=cycle.id)
        )
        wizard.date_from = D(2026, 3, 1)
        wizard = wizard.save()
        wizard.action_dry_run()
        self.assertEqual((wizard.document_count, wizard.enroll_count), (2, 2))
        # Bruno's first step is a day late, inside the cycle's tolerance: it
        # goes at once; Anna's imported one is for a day already past: skipped
        self.assertEqual(
            (wizard.due_now_count, wizard.late_count, wizard.scheduled_count),
            (1, 1, 2),
        )
        self.assertFalse(self.Enrollment.search([("cycle_id", "=", cycle.id)]))
        wizard.action_enroll()
        anna = self.enrollment(cycle, self.anna)
        self.assertEqual(
            (anna.source_ref, anna.source_key, anna.move_id, anna.trigger_date),
            (self.anna, line.document_key, self.env["account.move"], D(2026, 3, 5)),
        )
        self.assertEqual(anna.source_display, "SC-7")
        anna_steps = self.steps(anna)
        self.assertEqual(
            (anna_steps["now"].state, anna_steps["now"].reason), ("skipped", "late")
        )
        self.assertEqual(anna_steps["week"].state, "scheduled")
        self.assertEqual(anna_steps["week"].planned_at, self.utc(2026, 3, 12, 10))
        self.dispatch(NOW)
        now_step = cycle.step_ids.filtered(lambda s: s.name == "now")
        sms = (
            self.env["sms.sms"]
            .sudo()
            .search([("mailing_id", "=", now_step.mailing_id.id)])
        )
        self.assertEqual(sms.mapped("number"), ["+393477654321"])  # Bruno only
        # backfilled again: nothing new
        again = self.env["optical.cycle.backfill"].create(
            {"cycle_id": cycle.id, "date_from": D(2026, 3, 1)}
        )
        again.action_dry_run()
        self.assertEqual((again.enroll_count, again.existing_count), (0, 2))
        # the imported purchase deleted: what was planned for it stops
        imported.unlink()
        self.assertEqual(
            (anna.state, anna.stop_reason), ("stopped", "document_changed")
        )
        self.assertEqual(anna_steps["week"].reason, "document_changed")

    @freeze_time(NOW)
    def test_purchase_from_another_system_enrolls_like_a_sale(self):
        cycle = self.make_cycle(
            [
                {"name": "now", "delay_count": 0, "delay_unit": "days"},
                {"name": "week", "delay_count": 1, "delay_unit": "weeks"},
            ],
            late_tolerance_days=2,
        )
        # today's receipt of the shop's management system, two lines
        glasses = self.purchase(self.anna, NOW - dt.timedelta(hours=1), document="R-42")
        sunglasses = self.purchase(
            self.anna,
            NOW - dt.timedelta(hours=1),
            document="R-42",
            product_id=self.sunglasses.id,
        )
        self.assertEqual(self.ledger(glasses).kind, "api")
        anna = self.enrollment(cycle, self.anna)
        self.assertEqual(len(anna), 1)
        self.assertEqual(
            (anna.source_key, anna.source_display, anna.trigger_date),
            (f"gestionale:{self.company.id}:2026-03-06:R-42", "R-42", D(2026, 3, 6)),
        )
        anna_steps = self.steps(anna)
        # today's step goes now (its hour passed, not its day)
        self.assertEqual(anna_steps["now"].state, "scheduled")
        self.assertEqual(anna_steps["now"].scheduled_at, NOW)
        self.assertEqual(anna_steps["week"].planned_at, self.utc(2026, 3, 13, 10))

        # yesterday's sale sent today: yesterday's step is not sent late (an
        # invoice within the cycle's tolerance would send it)
        late = self.purchase(self.bruno, dt.datetime(2026, 3, 5, 15), document="R-41")
        bruno = self.enrollment(cycle, self.bruno)
        bruno_steps = self.steps(bruno)
        self.assertEqual(
            (bruno_steps["now"].state, bruno_steps["now"].reason), ("skipped", "late")
        )
        self.assertEqual(bruno_steps["week"].state, "scheduled")

        # one line of Anna's receipt removed: still a sale of glasses
        sunglasses.unlink()
        self.assertEqual(anna.state, "running")
        # the sale moved to another customer: Bruno's stops, Carla is enrolled
        carla = self.env["res.partner"].create(
            {"name": "Carla", "mobile": "+39 320 000 1111"}
        )
        late.partner_id = carla
        self.assertEqual(
            (bruno.state, bruno.stop_reason), ("stopped", "customer_changed")
        )
        self.assertEqual(bruno_steps["week"].reason, "customer_changed")
        self.assertEqual(self.enrollment(cycle, carla).execution_ids.partner_id, carla)
        # now the glasses line is gone too: no longer a sale at all
        glasses.unlink()
        self.assertEqual(
            (anna.state, anna.stop_reason), ("stopped", "document_changed")
        )
        self.assertEqual(set(anna.execution_ids.mapped("state")), {"cancelled"})

    @freeze_time(NOW)
    def test_buying_again_elsewhere_and_refunds_from_another_system(self):
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
        self.receipt(self.anna, date=D(2026, 3, 2))
        first = self.enrollment(cycle, self.anna)
        # glasses again, bought through the other system: the week step stops
        self.purchase(self.anna, NOW - dt.timedelta(hours=1), document="R-50")
        steps = self.steps(first)
        self.assertEqual(
            (steps["week"].state, steps["week"].reason), ("cancelled", "repurchased")
        )
        self.assertEqual(steps["year"].state, "scheduled")
        # a purchase of the other system refunded in full by it (a negative
        # line of the same document): its enrollment stops
        self.purchase(self.bruno, NOW - dt.timedelta(hours=2), document="R-51")
        bruno = self.enrollment(cycle, self.bruno)
        self.assertEqual(bruno.state, "running")
        self.purchase(
            self.bruno,
            NOW - dt.timedelta(hours=1),
            document="R-51",
            amount=-150.0,
            quantity=-1,
        )
        self.assertEqual(
            (bruno.state, bruno.stop_reason), ("stopped", "invoice_credited")
        )


@tagged("post_install", "-at_install")
class TestSaleThroughTheApi(CyclesCase, HttpCase):
    def test_purchase_posted_to_the_touchpoint_api_enrolls(self):
        cycle = self.make_cycle(
            [{"name": "week", "delay_count": 1, "delay_unit": "weeks"}],
            optical_categories=[Command.clear()],
        )
        user = new_test_user(
            self.env,
            "cyc_gestionale",
            groups="optical_crm.group_optical_user",
            company_id=self.company.id,
        )
        key = (
            self.env["res.users.apikeys"]
            .with_user(user)
            ._generate(None, "gestionale", dt.datetime.now() + dt.timedelta(days=1))
        )
        when = fields.Datetime.now() - dt.timedelta(minutes=1)
        response = self.url_open(
            "/optical_crm/api/touchpoints",
            data=json.dumps(
                {
                    "touchpoints": [
                        {
                            "external_ref": "sale-1",
                            "source": "gestionale",
                            "datetime": when.isoformat() + "+00:00",
                            "channel": "store",
                            "kind": "purchase",
                            "customer": {"mobile": "+393331234567"},
                        }
                    ]
                }
            ),
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {key}",
            },
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["accepted"], 1, response.text)
        touchpoint = self.env["optical.touchpoint"].browse(
            response.json()["results"][0]["touchpoint_id"]
        )
        enrollment = self.Enrollment.search([("cycle_id", "=", cycle.id)])
        self.assertEqual(enrollment.partner_id, self.anna)
        line = self.env["optical.sale.line"].search(
            [("res_model", "=", touchpoint._name), ("res_id", "=", touchpoint.id)]
        )
        # no document number: the customer's purchases of that day are the sale
        self.assertEqual(enrollment.source_key, line.document_key)
        self.assertTrue(
            line.document_key.startswith(f"gestionale:{self.company.id}:")
            and line.document_key.endswith(f":customer-{self.anna.id}"),
            line.document_key,
        )
        self.assertEqual(enrollment.execution_ids.state, "scheduled")
