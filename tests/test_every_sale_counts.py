"""Every sale counts (issue 15, "done when"): a sales receipt, a point-of-sale
order, an imported purchase and a purchase sent through the API, each of the same
box of daily contact lenses on the same day in the same shop, start the same
cycle, set the same run-out date and show the same per-shop value and recall
list, for four customers.

Run by pytest-odoo on the database where ``make test`` installed every addon
(the POS bridge with the point of sale, the cycles): the flows of four addons
meet here, which none of their own test suites may assume.
"""

import uuid
from datetime import timedelta

from odoo import Command, fields
from odoo.tests import Form, tagged

from odoo.addons.point_of_sale.tests.common import TestPoSCommon


@tagged("post_install", "-at_install")
class TestEverySaleCounts(TestPoSCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.groups_id |= cls.env.ref("optical_crm.group_optical_manager")
        cls.company.partner_id.tz = "Europe/Rome"
        cls.config = cls.basic_config
        # 1 box of 30 daily lenses: 15 days for two eyes; 30.00 untaxed
        cls.lenses = cls.create_product("Daily lenses 30", cls.categ_basic, 30.0)
        cls.lenses.product_tmpl_id.write(
            {
                "optical_category": "contact_lens",
                "optical_cl_replacement_days": 1,
                "optical_cl_lenses_per_pack": 30,
                "default_code": "LAC-D30",
            }
        )
        Partner = cls.env["res.partner"]
        cls.by_receipt, cls.by_pos, cls.by_import, cls.by_api = (
            Partner.create({"name": name})
            for name in ("Receipt Rossi", "Cassa Bianchi", "Import Verdi", "Api Neri")
        )
        cls.everyone = cls.by_receipt | cls.by_pos | cls.by_import | cls.by_api
        cls.cycle = cls.env["optical.cycle"].create(
            {
                "name": "LAC reorder",
                "trigger": "invoice_posted",
                "company_id": cls.company.id,
                "optical_categories": [
                    Command.set(
                        cls.env["optical.cycle.category"]
                        .search([("code", "=", "contact_lens")])
                        .ids
                    )
                ],
                "step_ids": [
                    Command.create(
                        {
                            "name": "reorder",
                            "channel": "sms",
                            "sms_body": "Le sue lenti stanno finendo",
                            "delay_count": 12,
                            "delay_unit": "days",
                        }
                    )
                ],
            }
        )

    def _touchpoint(self, partner, source, document):
        """A purchase recorded without an Odoo document, an hour ago."""
        return (
            self.env["optical.touchpoint"]
            .with_company(self.company)
            .create(
                {
                    "partner_id": partner.id,
                    "datetime": fields.Datetime.now() - timedelta(hours=1),
                    "channel": "store",
                    "kind": "purchase",
                    "source": source,
                    "external_ref": str(uuid.uuid4()),
                    "document_ref": document,
                    "product_id": self.lenses.id,
                    "quantity": 1,
                    "amount": 30.0,
                    "company_id": self.company.id,
                }
            )
        )

    def test_four_ways_to_sell_count_alike(self):
        self.open_new_session()
        # a sales receipt (documento commerciale) posted in accounting
        receipt = self.env["account.move"].create(
            {
                "move_type": "out_receipt",
                "partner_id": self.by_receipt.id,
                "invoice_date": fields.Date.context_today(self.env.user),
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": self.lenses.id,
                            "quantity": 1,
                            "price_unit": 30.0,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        receipt.action_post()
        # an order paid at the shop's till
        data = self.create_ui_order_data([(self.lenses, 1)], customer=self.by_pos)
        data["state"] = "paid"
        data["date_order"] = fields.Datetime.to_string(
            fields.Datetime.now() - timedelta(hours=1)
        )
        self.env["pos.order"].sync_from_ui([data])
        # the shop's management system sends today's sale; the old one's
        # history is imported (the backfill decides about history)
        self._touchpoint(self.by_api, "gestionale", "SC-0042")
        self._touchpoint(self.by_import, "import", "FT-0007")

        Ledger = self.env["optical.sale.line"]
        lines = Ledger.search([("partner_id", "in", self.everyone.ids)])
        self.assertEqual(
            sorted(lines.mapped("kind")), ["api", "import", "pos", "receipt"]
        )
        # one sale date for all of them (the shop's day, whatever the clock)
        sale_date = lines.filtered(lambda line: line.kind == "receipt").sale_date
        self.assertEqual(set(lines.mapped("sale_date")), {sale_date})
        self.assertEqual(set(lines.mapped("amount")), {30.0})

        # the cycle: three enrolled by the sale itself, the imported history
        # only through the backfill
        Enrollment = self.env["optical.cycle.enrollment"]

        def enrolled():
            return Enrollment.search([("cycle_id", "=", self.cycle.id)])

        self.assertEqual(enrolled().partner_id, self.everyone - self.by_import)
        backfill = Form(
            self.env["optical.cycle.backfill"].with_context(
                default_cycle_id=self.cycle.id
            )
        )
        backfill.date_from = sale_date - timedelta(days=1)
        backfill = backfill.save()
        backfill.action_dry_run()
        self.assertEqual((backfill.enroll_count, backfill.existing_count), (1, 3))
        backfill.action_enroll()
        enrollments = enrolled()
        self.assertEqual(enrollments.partner_id, self.everyone)
        self.assertEqual(set(enrollments.mapped("trigger_date")), {sale_date})
        steps = enrollments.execution_ids
        self.assertEqual(len(steps), 4)
        self.assertEqual(set(steps.mapped("state")), {"scheduled"})
        self.assertEqual(len(set(steps.mapped("scheduled_at"))), 1)

        # the profile: the same run-out date (30 lenses, two eyes: 15 days)
        runout = sale_date + timedelta(days=15)
        for partner in self.everyone:
            partner = partner.with_company(self.company)
            self.assertEqual(
                (
                    partner.optical_cl_runout_date,
                    partner.optical_last_purchase_date,
                    partner.optical_ltv,
                ),
                (runout, sale_date, 30.0),
                partner.name,
            )

        # the per-shop value, refreshed by its scheduled action
        Value = self.env["optical.customer.value"]
        Value._optical_cron_refresh_recent()
        values = Value.search(
            [
                ("partner_id", "in", self.everyone.ids),
                ("company_id", "=", self.company.id),
            ]
        )
        self.assertEqual(values.partner_id, self.everyone)
        self.assertEqual(
            {(v.ltv, v.purchase_count, v.last_purchase_date) for v in values},
            {(30.0, 1, sale_date)},
        )

        # the shop's recall list of lenses running out within 30 days
        running_out = self.env.ref("optical_crm.optical_segment_recall_cl_runout")
        members = running_out._optical_partners(self.company)
        self.assertEqual(members & self.everyone, self.everyone)
