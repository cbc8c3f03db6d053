from odoo.exceptions import AccessError
from odoo.tests import Form, freeze_time, new_test_user, tagged

from .common_value import OpticalValueCommon


@tagged("post_install", "-at_install")
class TestCustomerValue(OpticalValueCommon):
    def assertValue(self, partner, company=None, **expected):
        value = self.value(partner, company)
        self.assertEqual(len(value), 1, partner.name)
        actual = {name: value[name] for name in expected}
        for name in expected:
            if name.endswith("_date") and expected[name]:
                expected[name] = self.d(expected[name])
        self.assertEqual(actual, expected, partner.name)

    def test_lifetime_value_and_purchases(self):
        # two invoices on the same day are one purchase; untaxed, company currency
        self.assertValue(
            self.anna,
            ltv=1100.0,
            purchase_count=3,
            invoice_count=4,
            refund_count=0,
            avg_ticket=366.67,
            first_purchase_date="2023-01-10",
            last_purchase_date="2025-01-10",
            avg_interval_days=365.5,
        )
        # an invoice in CHF counts at its rate (300 CHF at 2 = 150)
        self.assertValue(
            self.bruno,
            ltv=150.0,
            purchase_count=1,
            avg_ticket=150.0,
            avg_interval_days=0,
        )
        # a wholly credited invoice is no purchase; the credit note cancels its amount
        self.assertValue(
            self.carla,
            ltv=400.0,
            purchase_count=1,
            invoice_count=2,
            refund_count=1,
            last_purchase_date="2022-05-01",
        )
        # a partial credit note lowers the value, the invoice stays a purchase
        self.assertValue(
            self.dario,
            ltv=900.0,
            purchase_count=2,
            avg_ticket=450.0,
            avg_interval_days=153.0,
        )
        # a credit note alone: negative value, no purchase
        self.assertValue(
            self.franco,
            ltv=-50.0,
            purchase_count=0,
            avg_ticket=0.0,
            segment="no_purchase",
        )
        # no invoice, no row
        self.assertFalse(self.value(self.hugo))

    def test_values_are_per_shop(self):
        self.assertValue(
            self.anna, self.company_b, ltv=700.0, purchase_count=1, segment="at_risk"
        )
        self.assertValue(self.gino, self.company_b, ltv=80.0, segment="new")
        self.assertFalse(self.value(self.gino))
        self.assertEqual(
            self.env["optical.customer.value"].search_count(
                [("company_id", "=", self.company_b.id)]
            ),
            2,
        )

    def test_rfm_scores_and_segments(self):
        expected = {
            self.anna: (5, 5, 5, "champions"),
            self.dario: (3, 4, 4, "loyal"),
            self.bruno: (4, 1, 1, "new"),
            self.carla: (1, 1, 3, "lapsed"),
            self.elena: (2, 1, 2, "at_risk"),
            self.franco: (0, 0, 0, "no_purchase"),
        }
        for partner, scores in expected.items():
            value = self.value(partner)
            self.assertEqual(
                (value.r_score, value.f_score, value.m_score, value.segment),
                scores,
                partner.name,
            )
        # shop B ranks its own two customers: Anna older and bigger than Gino
        anna_b = self.value(self.anna, self.company_b)
        gino_b = self.value(self.gino, self.company_b)
        self.assertEqual((anna_b.r_score, anna_b.f_score, anna_b.m_score), (1, 1, 3))
        self.assertEqual((gino_b.r_score, gino_b.f_score, gino_b.m_score), (3, 1, 1))

    def test_forecast_per_category(self):
        forecasts = {f.optical_category: f for f in self.value(self.anna).forecast_ids}
        self.assertEqual(set(forecasts), {"frame", "sunglasses"})
        frame = forecasts["frame"]
        # three frame purchases two years apart: every 366 days (731 / 2, rounded)
        self.assertEqual(
            (frame.purchase_count, frame.avg_interval_days, frame.basis),
            (3, 366, "interval"),
        )
        self.assertEqual(frame.next_purchase_date, self.d("2026-01-11"))
        # one purchase of sunglasses: no rhythm, no forecast
        self.assertFalse(forecasts["sunglasses"].next_purchase_date)
        self.assertEqual(self.value(self.anna).next_purchase_date, self.d("2026-01-11"))
        self.assertEqual(self.value(self.anna).next_purchase_category, "frame")
        # contact lenses: when the lenses run out
        lenses = self.value(self.bruno).forecast_ids
        self.assertEqual(
            (lenses.optical_category, lenses.basis, lenses.next_purchase_date),
            ("contact_lens", "cl_runout", self.d("2025-07-01")),
        )
        self.assertEqual(self.value(self.bruno).next_purchase_category, "contact_lens")

    def test_posting_then_the_scheduled_refresh(self):
        elena_2 = self._invoice(self.elena, "2025-06-01", [(self.frame, 100)])
        self._invoice(self.gino, "2025-06-02", [(self.frame, 60)])
        # posting did not wait for the value: the scheduled action brings it
        self.assertValue(self.elena, ltv=250.0, purchase_count=1)
        self.assertEqual(
            self.env.ref(
                "optical_crm.ir_cron_optical_value_refresh_recent"
            ).interval_number,
            5,
        )
        self.refresh_recent()
        # Elena placed among the stored figures of shop A, 6 customers now: 4 bought
        # last before her (R 1 + 5*4//6), 3 bought fewer times (Bruno, Carla, Gino:
        # F 1 + 5*3//6), 2 spent less (Bruno, Gino: M 1 + 5*2//6)
        self.assertValue(
            self.elena,
            ltv=350.0,
            purchase_count=2,
            last_purchase_date="2025-06-01",
            r_score=4,
            f_score=3,
            m_score=2,
            segment="regular",
        )
        self.assertValue(self.gino, ltv=60.0, segment="new")
        # reset to draft: back to what it was
        elena_2.button_draft()
        self.refresh_recent()
        self.assertValue(self.elena, ltv=250.0, purchase_count=1, segment="at_risk")
        # cancelling a posted invoice (through button_draft)
        self.dario_2.button_cancel()
        self.refresh_recent()
        self.assertValue(self.dario, ltv=800.0, purchase_count=1)

    def test_credit_note_from_the_reversal_wizard(self):
        wizard = Form(
            self.env["account.move.reversal"].with_context(
                active_model="account.move", active_ids=self.anna_3.ids
            )
        )
        wizard.reason = "Returned"
        wizard.journal_id = self.anna_3.journal_id
        action = wizard.save().refund_moves()
        refund = self.env["account.move"].browse(action["res_id"])
        self.refresh_recent()
        # the credit note is a draft: nothing changes yet
        self.assertValue(self.anna, ltv=1100.0, purchase_count=3)
        refund.action_post()
        self.refresh_recent()
        self.assertValue(
            self.anna,
            ltv=900.0,
            purchase_count=2,
            refund_count=1,
            last_purchase_date="2024-01-10",
        )

    def test_full_refresh_repairs_and_removes_rows(self):
        Value = self.env["optical.customer.value"]
        # a stale row for a customer without invoices, a value tampered with
        self.env.cr.execute(
            "INSERT INTO optical_customer_value (partner_id, company_id, ltv) "
            "VALUES (%s, %s, 99)",
            (self.hugo.id, self.company_a.id),
        )
        self.env.cr.execute(
            "UPDATE optical_customer_value SET ltv = 1 WHERE partner_id = %s",
            (self.anna.id,),
        )
        Value.invalidate_model()
        Value._optical_refresh_value(company_ids=self.company_a.ids)
        self.assertFalse(self.value(self.hugo))
        self.assertValue(self.anna, ltv=1100.0)
        self.assertValue(self.anna, self.company_b, ltv=1.0)  # other shop untouched
        Value._optical_refresh_value()
        self.assertValue(self.anna, self.company_b, ltv=700.0)

    def test_nightly_action_moves_segments_with_time(self):
        cron = self.env.ref("optical_crm.ir_cron_optical_value_refresh")
        with freeze_time("2026-01-01"):
            cron.method_direct_trigger()
        # Bruno's only purchase (2024-11-20) and Dario's last (2024-08-01) are 12 to
        # 18 months old: at risk; Elena's (2024-02-01) more than 18: lapsed
        self.assertEqual(self.value(self.anna).segment, "champions")
        self.assertEqual(self.value(self.bruno).segment, "at_risk")
        self.assertEqual(self.value(self.dario).segment, "at_risk")
        self.assertEqual(self.value(self.elena).segment, "lapsed")
        self.assertEqual(self.value(self.gino, self.company_b).segment, "new")

    def test_partner_smart_button_fields(self):
        self.assertEqual(self.anna.optical_value_ltv, 1100.0)
        self.assertEqual(self.anna.optical_value_segment, "champions")
        self.assertEqual(
            self.anna.with_company(self.company_b).optical_value_ltv, 700.0
        )
        self.assertFalse(self.hugo.optical_value_id)
        action = self.anna.action_optical_value()
        self.assertEqual(
            self.env[action["res_model"]].search(action["domain"]),
            self.value(self.anna) | self.value(self.anna, self.company_b),
        )

    def test_access_rules(self):
        employee = new_test_user(self.env, "val_employee", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.env["optical.customer.value"].with_user(employee).search([])
        with self.assertRaises(AccessError):
            self.env["optical.customer.forecast"].with_user(employee).search([])
        shop_a_user = new_test_user(
            self.env,
            "val_shop_a",
            groups="optical_crm.group_optical_user",
            company_id=self.company_a.id,
            company_ids=[(6, 0, self.company_a.ids)],
        )
        Value = self.env["optical.customer.value"].with_user(shop_a_user)
        self.assertEqual(set(Value.search([]).company_id.ids), {self.company_a.id})
        Forecast = self.env["optical.customer.forecast"].with_user(shop_a_user)
        self.assertEqual(set(Forecast.search([]).company_id.ids), {self.company_a.id})
        # read-only for everybody: written by the refresh only
        with self.assertRaises(AccessError):
            Value.search([], limit=1).write({"ltv": 1})
        manager = new_test_user(
            self.env, "val_manager", groups="optical_crm.group_optical_manager"
        )
        with self.assertRaises(AccessError):
            self.env["optical.customer.value"].with_user(manager).create(
                {"partner_id": self.hugo.id}
            )
