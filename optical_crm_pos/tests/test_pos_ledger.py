from datetime import date

from odoo import Command
from odoo.tests import tagged

from odoo.addons.optical_crm_pos import post_init_hook
from odoo.addons.point_of_sale.tests.common import TestPoSCommon


@tagged("post_install", "-at_install")
class TestPosLedger(TestPoSCommon):
    """Point-of-sale orders in the sales ledger, through Odoo's own POS flow
    (sync_from_ui, the payment wizard, invoicing, session closing)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the POS user of the tests reads the profile: Optical CRM manager too
        cls.env.user.groups_id |= cls.env.ref("optical_crm.group_optical_manager")
        cls.company.partner_id.tz = "Europe/Rome"
        cls.config = cls.basic_config
        # untaxed amounts count: the frame is sold with 7% tax on top
        cls.frame = cls.create_product(
            "Frame", cls.categ_basic, 100.0, tax_ids=cls.taxes["tax7"].ids
        )
        cls.lenses = cls.create_product("Monthly lenses 6", cls.categ_basic, 30.0)
        cls.frame.product_tmpl_id.optical_category = "frame"
        cls.lenses.product_tmpl_id.write(
            {
                "optical_category": "contact_lens",
                "optical_cl_replacement_days": 30,
                "optical_cl_lenses_per_pack": 6,
            }
        )
        cls.Ledger = cls.env["optical.sale.line"]

    def setUp(self):
        super().setUp()
        self.open_new_session()

    # ------------------------------------------------------------------ helpers
    def _order(self, lines, customer=None, date_order=None, invoiced=False):
        """An order as the POS sends it, paid in cash."""
        data = self.create_ui_order_data(
            lines, customer=customer or False, is_invoiced=invoiced
        )
        # the POS sends a finished order as paid
        data["state"] = "paid"
        if date_order:
            data["date_order"] = date_order
        result = self.env["pos.order"].sync_from_ui([data])
        return self.env["pos.order"].browse(result["pos.order"][0]["id"])

    def _rows(self, orders):
        return self.Ledger.search(
            [("res_model", "=", "pos.order"), ("res_id", "in", orders.ids)],
            order="id",
        )

    def _profile(self, partner, company=None):
        partner = partner.with_company(company or self.company)
        return (
            partner.optical_ltv,
            partner.optical_last_purchase_date,
            partner.optical_cl_runout_date,
        )

    # ------------------------------------------------------------------ tests
    def test_paid_order_counts_from_its_date(self):
        # 23:30 UTC on 10 March is 00:30 on 11 March in the shop (Rome)
        order = self._order(
            [(self.frame, 1), (self.lenses, 2)],
            customer=self.customer,
            date_order="2024-03-10 23:30:00",
        )
        anonymous = self._order([(self.frame, 1)])
        self.assertEqual(order.state, "paid")
        self.assertEqual(anonymous.state, "paid")

        rows = self._rows(order)
        self.assertRecordValues(
            rows,
            [
                {
                    "line_key": f"pos.order.line,{line.id}",
                    "document_key": f"pos.order,{order.id}",
                    "origin_key": f"pos.order,{order.id}",
                    "kind": "pos",
                    "move_id": False,
                    "company_id": self.company.id,
                    "partner_id": self.customer.id,
                    "date": date(2024, 3, 11),
                    "sale_date": date(2024, 3, 11),
                    "product_id": line.product_id.id,
                    "optical_category": category,
                    "quantity": qty,
                    "amount": amount,
                    "is_refund": False,
                }
                for line, category, qty, amount in zip(
                    order.lines.sorted("id"),
                    ("frame", "contact_lens"),
                    (1, 2),
                    (100.0, 60.0),
                    strict=True,
                )
            ],
        )
        # an order without a customer is nobody's sale
        self.assertFalse(self._rows(anonymous))
        # 2 packs x 6 lenses x 30 days / 2 eyes = 180 days of lenses
        self.assertEqual(
            self._profile(self.customer),
            (160.0, date(2024, 3, 11), date(2024, 9, 7)),
        )

    def test_refund_subtracts_from_the_sale(self):
        order = self._order(
            [(self.frame, 1), (self.lenses, 2)],
            customer=self.customer,
            date_order="2024-03-10 09:00:00",
        )
        refund = self.env["pos.order"].browse(order.refund()["res_id"])
        self.assertFalse(self._rows(refund), "a refund counts once paid")
        self.make_payment(refund, self.cash_pm1, refund.amount_total)
        self.assertEqual(refund.state, "paid")

        rows = self._rows(refund)
        self.assertEqual(len(rows), 2)
        self.assertEqual(set(rows.mapped("is_refund")), {True})
        self.assertEqual(set(rows.mapped("origin_key")), {f"pos.order,{order.id}"})
        self.assertEqual(set(rows.mapped("document_key")), {f"pos.order,{refund.id}"})
        self.assertEqual(set(rows.mapped("sale_date")), {date(2024, 3, 10)})
        self.assertEqual(sorted(rows.mapped("quantity")), [-2, -1])
        self.assertEqual(sorted(rows.mapped("amount")), [-100.0, -60.0])
        # wholly refunded: no value, no purchase, no lenses running out
        self.assertEqual(self._profile(self.customer), (0.0, False, False))

    def test_invoiced_order_counts_once(self):
        order = self._order(
            [(self.frame, 1)],
            customer=self.customer,
            date_order="2024-03-10 09:00:00",
            invoiced=True,
        )
        invoice = order.account_move
        self.assertEqual((order.state, invoice.state), ("invoiced", "posted"))
        # the order's lines, not the invoice's
        self.assertEqual(len(self._rows(order)), 1)
        self.assertFalse(self.Ledger.search([("move_id", "=", invoice.id)]))
        self.assertEqual(
            self._profile(self.customer), (100.0, date(2024, 3, 10), False)
        )

        # a credit note in accounting on that invoice is a refund of the order
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"journal_id": invoice.journal_id.id, "date": invoice.date})
        )
        credit_note = self.env["account.move"].browse(reversal.refund_moves()["res_id"])
        credit_note.action_post()
        refund_row = self.Ledger.search([("move_id", "=", credit_note.id)])
        self.assertRecordValues(
            refund_row,
            [
                {
                    "kind": "credit_note",
                    "res_model": "pos.order",
                    "res_id": order.id,
                    "document_key": f"account.move,{credit_note.id}",
                    "origin_key": f"pos.order,{order.id}",
                    "sale_date": date(2024, 3, 10),
                    "partner_id": self.customer.id,
                    "amount": -100.0,
                    "is_refund": True,
                }
            ],
        )
        self.assertEqual(self._profile(self.customer), (0.0, False, False))
        # reset to draft: the order counts in full again
        credit_note.button_draft()
        self.assertFalse(refund_row.exists())
        self.assertEqual(
            self._profile(self.customer), (100.0, date(2024, 3, 10), False)
        )

    def test_closing_the_session_adds_nothing(self):
        orders = self._order([(self.frame, 1)], customer=self.customer) | self._order(
            [(self.lenses, 1)], customer=self.other_customer
        )

        def snapshot():
            return self.Ledger.search_read(
                [], ["line_key", "partner_id", "amount", "sale_date"], order="id"
            )

        before = snapshot()
        session = self.pos_session
        cash = sum(session.order_ids.payment_ids.mapped("amount"))
        session.post_closing_cash_details(cash)
        session.close_session_from_ui()
        self.assertEqual(session.state, "closed")
        self.assertEqual(set(orders.mapped("state")), {"done"})
        self.assertEqual(snapshot(), before)

        # the customer of a posted order changes: the sale moves with it
        orders[0].partner_id = self.other_customer
        self.assertEqual(
            self._rows(orders).partner_id, self.other_customer.commercial_partner_id
        )
        self.assertEqual(self._profile(self.customer)[:2], (0.0, False))
        self.assertEqual(
            self.other_customer.with_company(self.company).optical_ltv, 130.0
        )

    def test_sale_counts_in_the_order_shop(self):
        """The same customer buys in two shops of the chain: each order counts
        in its shop's figures only."""
        order = self._order(
            [(self.frame, 1)],
            customer=self.customer,
            date_order="2024-03-10 09:00:00",
        )
        second = self.setup_other_company(name="Second shop")
        shop2 = second["company"]
        shop2.partner_id.tz = "Europe/Rome"
        self.env = self.env(
            context=dict(self.env.context, allowed_company_ids=[shop2.id])
        )
        cash = self.env["pos.payment.method"].create(
            {
                "name": "Cash (second shop)",
                "journal_id": second["default_journal_cash"].id,
                "company_id": shop2.id,
            }
        )
        pricelist = self.env["product.pricelist"].create(
            {"name": "Second shop", "currency_id": shop2.currency_id.id}
        )
        self.config = self.env["pos.config"].create(
            {
                "name": "Second shop",
                "payment_method_ids": [Command.set(cash.ids)],
                "pricelist_id": pricelist.id,
                "available_pricelist_ids": [Command.set(pricelist.ids)],
            }
        )
        sunglasses = self.env["product.product"].create(
            {
                "name": "Sunglasses",
                "available_in_pos": True,
                "lst_price": 80.0,
                "taxes_id": [Command.clear()],
                "optical_category": "sunglasses",
            }
        )
        self.open_new_session()
        order2 = self._order(
            [(sunglasses, 1)],
            customer=self.customer,
            date_order="2024-05-02 09:00:00",
        )
        self.assertEqual(order2.company_id, shop2)
        self.assertRecordValues(
            self._rows(order | order2),
            [
                {"company_id": self.company.id, "amount": 100.0},
                {"company_id": shop2.id, "amount": 80.0},
            ],
        )
        self.assertEqual(
            self._profile(self.customer), (100.0, date(2024, 3, 10), False)
        )
        self.assertEqual(
            self._profile(self.customer, shop2), (80.0, date(2024, 5, 2), False)
        )

    def test_amounts_in_the_shop_currency(self):
        # a point of sale in another currency (1 company unit = 0.5 of it)
        self.config = self.other_currency_config
        self.open_new_session()
        order = self._order([(self.frame, 2)], customer=self.customer)
        self.assertEqual(order.currency_id, self.other_currency)
        self.assertEqual(order.lines.price_subtotal, 100.0)
        self.assertEqual(self._rows(order).amount, 200.0)
        self.assertEqual(self.customer.with_company(self.company).optical_ltv, 200.0)

    def test_install_counts_the_orders_already_there(self):
        order = self._order(
            [(self.lenses, 1)],
            customer=self.customer,
            date_order="2024-03-10 09:00:00",
            invoiced=True,
        )
        invoice = order.account_move
        # the ledger as it was before this module: the invoice, not the order
        uninstalled = self.Ledger.with_context(optical_crm_pos_uninstall=True)
        uninstalled._optical_rebuild()
        self.assertFalse(self._rows(order))
        self.assertEqual(len(self.Ledger.search([("move_id", "=", invoice.id)])), 1)
        post_init_hook(self.env)
        self.assertEqual(
            self._rows(order).mapped("line_key"), [f"pos.order.line,{order.lines.id}"]
        )
        self.assertFalse(self.Ledger.search([("move_id", "=", invoice.id)]))
        self.assertEqual(
            self._profile(self.customer), (30.0, date(2024, 3, 10), date(2024, 6, 8))
        )

    def test_order_reaches_the_customer_value(self):
        # the scheduled refresh of recent sales finds the orders written lately
        self.env.flush_all()
        since = self.env.cr.now()
        self._order([(self.frame, 1)], customer=self.customer)
        self.assertIn(
            self.customer.id,
            self.Ledger._optical_changed_partners(since).get(self.company.id, []),
        )
        self.env["optical.customer.value"]._optical_cron_refresh_recent()
        value = self.env["optical.customer.value"].search(
            [
                ("partner_id", "=", self.customer.id),
                ("company_id", "=", self.company.id),
            ]
        )
        self.assertRecordValues(value, [{"ltv": 100.0, "purchase_count": 1}])
