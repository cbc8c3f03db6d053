"""Every sale counts: a sales receipt, a purchase imported from the old system and
a purchase sent by another system through the touchpoint API weigh like invoices
in the customer value, the segments, the timeline and the attribution.

On top of ``common_value`` (today 2025-06-15, shops A and B), untaxed amounts:

Shop A
  Ivo     sales receipt 2025-03-01 frame 400 · sales receipt 2025-04-01
          sunglasses 80, wholly credited 2025-04-05
          → 1 purchase, LTV 400, 2 sale documents and 1 refund, new
  Luisa   imported purchase 2023-06-01 frame 120 → lapsed
  Marco   API purchases ("gestionale"): SC-2024-0007 2024-05-01 sunglasses 100;
          SC-2025-0042 2025-05-01 (web shop) frame 150 + lens care 50, one sale
          → 2 purchases, LTV 300
Shop B
  Ivo     API purchase 2025-05-10 sunglasses 999

RFM in A (8 customers with purchases now): R Carla 1, Luisa 1, Elena 2, Dario 2,
Bruno 3, Anna 4, Ivo 4, Marco 5; F 1 for one purchase, 4 for two (Dario, Marco),
Anna 5; M Luisa 1, Bruno 1, Elena 2, Marco 2, Carla 3, Ivo 3, Dario 4, Anna 5.
"""

import datetime as dt

from odoo import fields
from odoo.tests import tagged
from odoo.tools import SQL

from .common_value import OpticalValueCommon


@tagged("post_install", "-at_install")
class TestEverySaleCounts(OpticalValueCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        a, b = cls.company_a, cls.company_b
        Partner = cls.env["res.partner"]
        cls.ivo = Partner.create({"name": "Ivo"})
        cls.luisa = Partner.create({"name": "Luisa"})
        cls.marco = Partner.create({"name": "Marco"})
        cls.people = cls.ivo | cls.luisa | cls.marco
        cls.lens_care = cls.env["product.product"].create(
            {"name": "Solution", "optical_category": "lens_care", "type": "consu"}
        )
        # campaign messages of shop A, before the sales
        cls.campaign = cls.env["optical.campaign"].create(
            {
                "name": "Primavera",
                "date_start": dt.date(2025, 2, 20),
                "date_end": dt.date(2025, 4, 30),
                "sms_body": "Ciao!",
                "company_id": a.id,
            }
        )
        cls.env["optical.contact.log"].sudo().create(
            [
                {
                    "partner_id": partner.id,
                    "company_id": a.id,
                    "channel": "sms",
                    "purpose": "marketing",
                    "datetime": when,
                    "res_model": cls.campaign._name,
                    "res_id": cls.campaign.id,
                }
                for partner, when in (
                    (cls.ivo, "2025-02-25 10:00:00"),
                    (cls.marco, "2025-04-28 10:00:00"),
                )
            ]
        )
        # Ivo: sales receipts
        cls.ivo_frame = cls._invoice(
            cls.ivo, "2025-03-01", [(cls.frame, 400)], move_type="out_receipt"
        )
        cls.ivo_sunglasses = cls._invoice(
            cls.ivo, "2025-04-01", [(cls.sunglasses, 80)], move_type="out_receipt"
        )
        cls.ivo_refund = cls.ivo_sunglasses._reverse_moves(
            [{"invoice_date": "2025-04-05", "date": "2025-04-05"}], cancel=True
        )
        Touchpoint = cls.env["optical.touchpoint"]
        # Luisa: a purchase imported from the old system
        cls.luisa_import = Touchpoint.create(
            {
                "partner_id": cls.luisa.id,
                "datetime": "2023-06-01 10:00:00",
                "channel": "store",
                "kind": "purchase",
                "source": "import",
                "external_ref": "old-1",
                "product_id": cls.frame.id,
                "quantity": 1,
                "amount": 120.0,
                "summary": "Occhiale",
                "company_id": a.id,
            }
        )

        def api_purchase(partner, ref, doc, when, product, amount, **vals):
            return Touchpoint.create(
                {
                    "partner_id": partner.id,
                    "datetime": when,
                    "channel": "store",
                    "kind": "purchase",
                    "source": "gestionale",
                    "external_ref": ref,
                    "document_ref": doc,
                    "product_id": product.id,
                    "quantity": 1,
                    "amount": amount,
                    "company_id": a.id,
                    **vals,
                }
            )

        # Marco: purchases sent by the shop's management system
        cls.marco_2024 = api_purchase(
            cls.marco,
            "r-7-1",
            "SC-2024-0007",
            "2024-05-01 10:00:00",
            cls.sunglasses,
            100.0,
        )
        cls.marco_2025 = api_purchase(
            cls.marco,
            "r-42-1",
            "SC-2025-0042",
            "2025-05-01 16:00:00",
            cls.frame,
            150.0,
            channel="web",
        ) | api_purchase(
            cls.marco,
            "r-42-2",
            "SC-2025-0042",
            "2025-05-01 16:00:00",
            cls.lens_care,
            50.0,
            channel="web",
        )
        # Ivo in shop B: nothing of it counts in shop A
        cls.ivo_b = api_purchase(
            cls.ivo,
            "r-b-1",
            "B-1",
            "2025-05-10 10:00:00",
            cls.sunglasses,
            999.0,
            company_id=b.id,
        )
        cls.refresh_recent()

    def assertValue(self, partner, company=None, **expected):
        value = self.value(partner, company)
        self.assertEqual(len(value), 1, partner.name)
        for name in expected:
            if name.endswith("_date") and expected[name]:
                expected[name] = self.d(expected[name])
        self.assertEqual({name: value[name] for name in expected}, expected)

    def test_value_per_shop(self):
        self.assertValue(
            self.ivo,
            ltv=400.0,
            purchase_count=1,
            invoice_count=2,
            refund_count=1,
            first_purchase_date="2025-03-01",
            last_purchase_date="2025-03-01",
            r_score=4,
            f_score=1,
            m_score=3,
            segment="new",
        )
        self.assertValue(
            self.luisa,
            ltv=120.0,
            purchase_count=1,
            last_purchase_date="2023-06-01",
            r_score=1,
            f_score=1,
            m_score=1,
            segment="lapsed",
        )
        # the two lines of SC-2025-0042 are one sale
        self.assertValue(
            self.marco,
            ltv=300.0,
            purchase_count=2,
            invoice_count=2,
            refund_count=0,
            avg_ticket=150.0,
            first_purchase_date="2024-05-01",
            last_purchase_date="2025-05-01",
            r_score=5,
            f_score=4,
            m_score=2,
            segment="loyal",
        )
        # the other shop's purchase is that shop's
        self.assertValue(
            self.ivo, self.company_b, ltv=999.0, purchase_count=1, segment="new"
        )
        # the nightly refresh ranks the same way
        self.env["optical.customer.value"]._optical_refresh_value(
            company_ids=self.company_a.ids
        )
        self.assertValue(self.ivo, r_score=4, f_score=1, m_score=3, segment="new")
        self.assertValue(self.marco, r_score=5, f_score=4, m_score=2)
        # forecasts from the categories of the lines: the sunglasses Ivo
        # returned are no purchase
        self.assertEqual(
            set(self.value(self.ivo).forecast_ids.mapped("optical_category")),
            {"frame"},
        )
        self.assertEqual(
            set(self.value(self.marco).forecast_ids.mapped("optical_category")),
            {"sunglasses", "frame", "lens_care"},
        )
        # the profile reads the same ledger
        self.assertEqual(self.ivo.optical_ltv, 400.0)
        self.assertEqual(self.ivo.optical_last_purchase_date, self.d("2025-03-01"))

    def test_recall_lists_and_dashboard(self):
        a = self.company_a.id
        lapsed = self.audience(f"lapsed:{a}")
        self.assertEqual(lapsed & self.people, self.luisa)
        self.assertIn(self.carla, lapsed)
        self.assertEqual(
            self.env.ref("optical_crm.optical_segment_recall_lapsed")._optical_partners(
                self.company_a
            ),
            self.carla | self.luisa,
        )
        self.assertEqual(self.audience(f"segment:{a}:loyal") & self.people, self.marco)
        self.assertEqual(
            self.audience(f"customers:{a}:2025"), self.anna | self.ivo | self.marco
        )
        self.assertEqual(
            self.audience(f"customers:{self.company_b.id}:2025"), self.gino | self.ivo
        )
        self.assertEqual(self.audience(f"new:{a}") & self.people, self.ivo)

    def test_bought_category_since(self):
        def members(company, **criteria):
            segment = self.env["optical.segment"].create(
                {
                    "name": "Test",
                    "domain": repr([("id", "in", self.people.ids)]),
                    **criteria,
                }
            )
            partners = segment._optical_partners(company)
            self.assertEqual(segment._optical_count(company), len(partners))
            return partners

        a, b = self.company_a, self.company_b
        # a receipt and an API purchase in the last 12 months, an import before
        self.assertEqual(
            members(a, bought_category="frame", bought_months=12),
            self.ivo | self.marco,
        )
        self.assertEqual(members(a, bought_category="frame"), self.people)
        self.assertEqual(
            members(a, not_bought_category="frame", not_bought_months=12), self.luisa
        )
        # the line of a category in a sale of several (SC-2025-0042)
        self.assertEqual(members(a, bought_category="lens_care"), self.marco)
        # Ivo's sunglasses: returned in shop A, bought in shop B
        self.assertEqual(members(a, bought_category="sunglasses"), self.marco)
        self.assertEqual(members(b, bought_category="sunglasses"), self.ivo)
        self.assertFalse(members(b, bought_category="frame"))
        # customers of a shop: who bought there, whatever the document
        self.assertEqual(members(b, shop_id=b.id), self.ivo)
        self.assertEqual(members(a, shop_id=a.id), self.people)

    def test_timeline(self):
        Timeline = self.env["optical.customer.timeline"].with_context(
            allowed_company_ids=(self.company_a | self.company_b).ids
        )

        def rows(partner):
            return Timeline.search(partner.action_optical_timeline()["domain"])

        def sales(partner):
            return sorted(
                (r.date.isoformat(), r.kind, r.sale_kind, r.amount, r.company_id.name)
                for r in rows(partner)
                if r.kind in ("sale", "refund")
            )

        a, b = self.company_a.name, self.company_b.name
        self.assertEqual(
            sales(self.ivo),
            [
                ("2025-03-01", "sale", "receipt", 400.0, a),
                ("2025-04-01", "sale", "receipt", 80.0, a),
                ("2025-04-05", "refund", "credit_note", -80.0, a),
                ("2025-05-10", "sale", "api", 999.0, b),
            ],
        )
        # an imported purchase is a sale, not a touchpoint as well
        self.assertEqual(
            sales(self.luisa), [("2023-06-01", "sale", "import", 120.0, a)]
        )
        self.assertEqual(rows(self.luisa).mapped("kind"), ["sale"])
        # nor is a purchase from another system, nor the touchpoint of a receipt
        marco = rows(self.marco)
        self.assertEqual(sorted(marco.mapped("kind")), ["message", "sale", "sale"])
        self.assertEqual(
            sorted(rows(self.ivo).mapped("kind")),
            ["message", "refund", "sale", "sale", "sale"],
        )
        self.assertEqual(
            sales(self.marco),
            [
                ("2024-05-01", "sale", "api", 100.0, a),
                ("2025-05-01", "sale", "api", 200.0, a),
            ],
        )
        web = marco.filtered(lambda r: r.amount == 200.0)
        self.assertEqual((web.channel, web.summary), ("web", "SC-2025-0042"))
        self.assertEqual(web.datetime, fields.Datetime.to_datetime("2025-05-01 16:00"))
        self.assertIn(web.action_open_document()["res_id"], self.marco_2025.ids)
        receipt = rows(self.ivo).filtered(lambda r: r.amount == 400.0)
        self.assertEqual(receipt.summary, self.ivo_frame.name)
        self.assertEqual(receipt.action_open_document()["res_id"], self.ivo_frame.id)
        # shop A's view only
        only_a = Timeline.with_context(allowed_company_ids=self.company_a.ids)
        self.assertNotIn(
            "api",
            only_a.search([("partner_id", "=", self.ivo.id)]).mapped("sale_kind"),
        )

    def test_partner_purchases_button(self):
        self.assertEqual(
            self.ivo.with_context(
                allowed_company_ids=self.company_a.ids
            ).optical_sale_count,
            3,
        )
        both = self.ivo.with_context(
            allowed_company_ids=(self.company_a | self.company_b).ids
        )
        self.assertEqual(both.optical_sale_count, 4)
        self.assertEqual(
            self.marco.with_context(
                allowed_company_ids=self.company_a.ids
            ).optical_sale_count,
            2,
        )
        action = self.marco.action_optical_view_sales()
        lines = self.env[action["res_model"]].search(action["domain"])
        self.assertEqual(len(lines), 3)
        self.assertEqual(set(lines.mapped("kind")), {"api"})

    def test_receipt_and_api_purchase_after_a_message_are_attributed(self):
        self.campaign.action_refresh_results()
        # Ivo's receipt (400) after his message; Marco's API purchase (200) after
        # his; Ivo's returned sunglasses are no purchase, his purchase in shop B
        # is not shop A's
        self.assertEqual(
            (self.campaign.converted_count, self.campaign.revenue), (2, 600.0)
        )
        figures = {
            f["name"]: f
            for f in self.env["optical.value.dashboard"]._optical_figure(
                "attribution", self.company_a
            )
        }
        self.assertEqual(
            (figures["campaign"]["value"], figures["campaign"]["amount"]), (2, 600.0)
        )
        self.assertEqual(
            self.audience(f"converted:{self.company_a.id}:campaign"),
            self.ivo | self.marco,
        )
        # a receipt the day of the message counts if it was made after it
        Log = self.env["optical.contact.log"].sudo()
        Log.create(
            {
                "partner_id": self.luisa.id,
                "company_id": self.company_a.id,
                "channel": "sms",
                "purpose": "marketing",
                "datetime": "2025-04-10 10:00:00",
                "res_model": self.campaign._name,
                "res_id": self.campaign.id,
            }
        )
        before = self._invoice(
            self.luisa, "2025-04-10", [(self.frame, 30)], move_type="out_receipt"
        )
        after = self._invoice(
            self.luisa, "2025-04-10", [(self.frame, 70)], move_type="out_receipt"
        )
        for move, created in (
            (before, "2025-04-10 09:00"),
            (after, "2025-04-10 11:00"),
        ):
            self.env.cr.execute(
                SQL(
                    "UPDATE account_move SET create_date = %s WHERE id = %s",
                    created,
                    move.id,
                )
            )
        self.campaign.action_refresh_results()
        self.assertEqual(
            (self.campaign.converted_count, self.campaign.revenue), (3, 670.0)
        )

    def test_scheduled_refresh_finds_every_change(self):
        Ledger = self.env["optical.sale.line"]
        self.env.flush_all()
        # everything written long ago...
        for table in ("optical_sale_line", "account_move", "optical_touchpoint"):
            self.env.cr.execute(
                SQL("UPDATE %s SET write_date = '2020-01-01'", SQL.identifier(table))
            )
        since = dt.datetime(2024, 1, 1)
        self.assertEqual(Ledger._optical_changed_partners(since), {})
        # ...then a receipt reset to draft (its lines leave the ledger), an API
        # purchase that was not one (its line leaves), an imported one corrected
        self.ivo_frame.button_draft()
        self.marco_2024.kind = "visit"
        self.luisa_import.amount = 150.0
        self.assertEqual(
            Ledger._optical_changed_partners(since),
            {self.company_a.id: sorted(self.people.ids)},
        )
        # the scheduled action refreshes them (and only them)
        self.env.cr.execute(
            "UPDATE optical_customer_value SET ltv = 1 WHERE partner_id = %s",
            (self.anna.id,),
        )
        self.env["optical.customer.value"].invalidate_model()
        self.refresh_recent()
        self.assertValue(self.ivo, ltv=0.0, purchase_count=0, segment="no_purchase")
        self.assertValue(self.marco, ltv=200.0, purchase_count=1)
        self.assertValue(self.luisa, ltv=150.0)
        self.assertValue(self.anna, ltv=1.0)

    def test_deleted_purchase_leaves_the_value_at_once(self):
        # a deleted purchase touchpoint leaves no document for the scheduled
        # refresh to find: its customer's value follows the deletion itself
        self.assertValue(self.marco, ltv=300.0, purchase_count=2)
        self.marco_2024.unlink()
        self.assertFalse(
            self.env["optical.sale.line"].search(
                [
                    ("res_model", "=", "optical.touchpoint"),
                    ("partner_id", "=", self.marco.id),
                    ("document_name", "=", "SC-2024-0007"),
                ]
            )
        )
        self.assertValue(self.marco, ltv=200.0, purchase_count=1)
