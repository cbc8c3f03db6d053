"""A small, hand-checkable sales history for the customer-value tests.

Today is 2025-06-15. Shop A (the test company) and shop B (``setup_other_company``);
amounts are untaxed, in A's currency unless said otherwise.

Shop A
  Anna    2023-01-10 frame 300 · 2024-01-10 frame 500 + sunglasses 100 (two
          invoices, one visit) · 2025-01-10 frame 200
          → 3 purchases, LTV 1100, avg ticket 366.67, interval 365.5 days
  Bruno   2024-11-20 contact lenses CHF 300 (rate 2 → 150); lenses run out 2025-07-01
  Carla   2022-05-01 400 · 2022-09-01 600 wholly credited on 2022-09-15
          → 1 purchase, LTV 400, lapsed
  Dario   2024-03-01 1000, credited 200 on 2024-04-01 · 2024-08-01 100
          → 2 purchases, LTV 900
  Elena   2024-02-01 250 → at risk (12-18 months)
  Franco  a credit note of 50 that reverses nothing → no purchase, LTV -50
  Hugo    no invoice, an eye exam in shop A, next exam 2025-06-30
Shop B
  Anna    2024-06-01 frame 700
  Gino    2025-05-01 80

RFM in A (5 customers with purchases): R Carla 1, Elena 2, Dario 3, Bruno 4,
Anna 5; F Bruno/Carla/Elena 1, Dario 4, Anna 5; M Bruno 1, Elena 2, Carla 3, Dario 4,
Anna 5 → Anna champions, Dario loyal, Bruno new, Carla lapsed, Elena at risk,
Franco no purchase.
"""

from odoo import Command, fields

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

TODAY = "2025-06-15"


class OpticalValueCommon(AccountTestInvoicingCommon):
    freeze_time = TODAY

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.company
        cls.company_b = cls.setup_other_company(name="Ottica B")["company"]
        # the accountant of the tests runs the shops: Optical CRM manager too
        cls.env.user.write(
            {
                "company_ids": [(4, cls.company_b.id)],
                "groups_id": [(4, cls.env.ref("optical_crm.group_optical_manager").id)],
            }
        )
        cls.chf = cls.setup_other_currency("CHF", rates=[("2000-01-01", 2.0)])
        Product = cls.env["product.product"]
        cls.frame = Product.create(
            {"name": "Frame", "optical_category": "frame", "type": "consu"}
        )
        cls.sunglasses = Product.create(
            {"name": "Sunglasses", "optical_category": "sunglasses", "type": "consu"}
        )
        cls.lenses = Product.create(
            {
                "name": "Monthly lenses",
                "optical_category": "contact_lens",
                "optical_cl_replacement_days": 30,
                "optical_cl_lenses_per_pack": 6,
                "type": "consu",
            }
        )
        cls.service = Product.create({"name": "Repair", "type": "service"})
        Partner = cls.env["res.partner"]
        names = ("anna", "bruno", "carla", "dario", "elena", "franco", "gino", "hugo")
        for name in names:
            setattr(cls, name, Partner.create({"name": name.capitalize()}))

        inv = cls._invoice
        cls.anna_1 = inv(cls.anna, "2023-01-10", [(cls.frame, 300)])
        inv(cls.anna, "2024-01-10", [(cls.frame, 500)])
        inv(cls.anna, "2024-01-10", [(cls.sunglasses, 100)])
        cls.anna_3 = inv(cls.anna, "2025-01-10", [(cls.frame, 200)])
        cls.bruno_1 = inv(
            cls.bruno, "2024-11-20", [(cls.lenses, 300)], currency=cls.chf
        )
        inv(cls.carla, "2022-05-01", [(cls.service, 400)])
        carla_2 = inv(cls.carla, "2022-09-01", [(cls.service, 600)])
        cls.carla_refund = carla_2._reverse_moves(
            [{"invoice_date": "2022-09-15", "date": "2022-09-15"}], cancel=True
        )
        cls.dario_1 = inv(cls.dario, "2024-03-01", [(cls.service, 1000)])
        inv(
            cls.dario,
            "2024-04-01",
            [(cls.service, 200)],
            move_type="out_refund",
            reversed_entry=cls.dario_1,
        )
        cls.dario_2 = inv(cls.dario, "2024-08-01", [(cls.service, 100)])
        cls.elena_1 = inv(cls.elena, "2024-02-01", [(cls.service, 250)])
        inv(cls.franco, "2024-05-01", [(cls.service, 50)], move_type="out_refund")
        inv(cls.anna, "2024-06-01", [(cls.frame, 700)], company=cls.company_b)
        inv(cls.gino, "2025-05-01", [(cls.service, 80)], company=cls.company_b)

        cls.bruno.optical_cl_runout_date = "2025-07-01"
        cls.dario.optical_cl_runout_date = "2025-08-01"
        cls.anna.optical_next_exam_date = "2025-06-20"
        cls.bruno.optical_next_exam_date = "2025-07-10"
        # the profile is per shop: Gino is a customer of shop B
        cls.gino.with_company(cls.company_b).optical_next_exam_date = "2025-06-05"
        cls.hugo.optical_next_exam_date = "2025-06-30"
        cls.hugo_exam = cls.env["optical.exam"].create(
            {"partner_id": cls.hugo.id, "date": "2024-06-30"}
        )
        # the invoices above triggered the background refresh of their customers
        cls.refresh_recent()

    @classmethod
    def refresh_recent(cls):
        """What the scheduled action triggered by invoice events does."""
        cls.env["optical.customer.value"]._optical_cron_refresh_recent()

    @classmethod
    def _invoice(
        cls,
        partner,
        date,
        lines,
        company=None,
        currency=None,
        move_type="out_invoice",
        reversed_entry=None,
    ):
        company = company or cls.company_a
        move = (
            cls.env["account.move"]
            .with_company(company)
            .create(
                {
                    "move_type": move_type,
                    "partner_id": partner.id,
                    "invoice_date": date,
                    "currency_id": (currency or company.currency_id).id,
                    "reversed_entry_id": reversed_entry and reversed_entry.id,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "quantity": 1,
                                "price_unit": price,
                                "tax_ids": [Command.set([])],
                            }
                        )
                        for product, price in lines
                    ],
                }
            )
        )
        move.action_post()
        return move

    def value(self, partner, company=None):
        company = company or self.company_a
        return self.env["optical.customer.value"].search(
            [("partner_id", "=", partner.id), ("company_id", "=", company.id)]
        )

    def audience(self, key):
        return self.env["res.partner"].search([("optical_audience", "=", key)])

    @staticmethod
    def d(text):
        return fields.Date.to_date(text)
