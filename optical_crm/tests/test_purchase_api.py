import json
from datetime import date, datetime, timedelta

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged

URL = "/optical_crm/api/purchases"
SALE_DAY = date(2024, 5, 2)


class PurchaseApiMixin:
    @classmethod
    def _key(cls, user):
        return (
            cls.env["res.users.apikeys"]
            .with_user(user)
            ._generate(None, "till", datetime.now() + timedelta(days=1))
        )

    @classmethod
    def _products(cls, company=False):
        Product = cls.env["product.product"]
        cls.daily = Product.create(
            {
                "name": "Daily lenses 30",
                "default_code": "CL-D30",
                "barcode": "8001000000011",
                "optical_category": "contact_lens",
                "optical_cl_replacement_days": 1,
                "optical_cl_lenses_per_pack": 30,
                "company_id": company,
            }
        )
        cls.frame = Product.create(
            {
                "name": "Frame Aria",
                "default_code": "FR-ARIA",
                "barcode": "8001000000028",
                "optical_category": "frame",
                "company_id": company,
            }
        )

    def _post(self, body, key=None, raw=None):
        headers = {"Content-Type": "application/json"}
        if key is not False:
            headers["Authorization"] = f"Bearer {key or self.key}"
        return self.url_open(
            URL, data=raw if raw is not None else json.dumps(body), headers=headers
        )

    def _accepted(self, documents, key=None):
        response = self._post({"purchases": documents}, key=key)
        self.assertEqual(response.status_code, 200, response.text)
        return response.json()

    def _document(self, number, **vals):
        return {
            "document": number,
            "source": "till",
            "datetime": "2024-05-02T10:15:00+02:00",
            "customer": {"ref": "C0042"},
            "lines": [
                {"default_code": "CL-D30", "quantity": 2, "amount": 50.0},
                {"barcode": "8001000000028", "amount": 120, "description": "Black"},
                {"category": "eye_exam", "amount": 35.0},
            ],
            **vals,
        }

    def _ledger(self, touchpoint_ids):
        return self.env["optical.sale.line"].search(
            [("res_model", "=", "optical.touchpoint"), ("res_id", "in", touchpoint_ids)]
        )

    def _profile(self, partner, shop):
        partner = partner.with_company(shop)
        partner.invalidate_recordset()
        return (
            partner.optical_last_purchase_date,
            partner.optical_ltv,
            partner.optical_cl_runout_date,
        )


@tagged("post_install", "-at_install")
class TestPurchaseApi(PurchaseApiMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shop = cls.env.company
        cls.api_user = new_test_user(
            cls.env, "pa_api", groups="optical_crm.group_optical_user"
        )
        cls.key = cls._key(cls.api_user)
        cls.anna = cls.env["res.partner"].create(
            {"name": "Anna Bianchi", "ref": "C0042", "email": "anna@example.com"}
        )
        cls._products()

    def test_document_is_one_sale_in_the_ledger(self):
        body = self._accepted([self._document("R-1")])
        self.assertEqual((body["accepted"], body["rejected"]), (1, 0))
        [result] = body["results"]
        self.assertEqual(result["status"], "accepted", result)
        self.assertEqual(result["document"], "R-1")
        self.assertEqual(result["partner_id"], self.anna.id)
        self.assertFalse(result["partner_created"])
        touchpoints = self.env["optical.touchpoint"].browse(result["touchpoint_ids"])
        self.assertEqual(
            touchpoints.mapped("external_ref"), ["R-1#1", "R-1#2", "R-1#3"]
        )
        self.assertEqual(set(touchpoints.mapped("document_ref")), {"R-1"})
        self.assertEqual(set(touchpoints.mapped("kind")), {"purchase"})
        self.assertEqual(touchpoints.company_id, self.shop)
        self.assertEqual(touchpoints.mapped("product_id"), self.daily | self.frame)
        self.assertEqual(
            touchpoints.mapped("optical_category"),
            ["contact_lens", "frame", "eye_exam"],
        )
        self.assertEqual(touchpoints.mapped("quantity"), [2.0, 1.0, 1.0])
        self.assertEqual(touchpoints.mapped("summary")[1], "Black")
        # three ledger lines, one sale
        ledger = self._ledger(touchpoints.ids)
        self.assertEqual(len(ledger), 3)
        self.assertEqual(set(ledger.mapped("kind")), {"api"})
        self.assertEqual(
            set(ledger.mapped("document_key")), {f"till:{self.shop.id}:{SALE_DAY}:R-1"}
        )
        self.assertEqual(
            set(ledger.mapped("origin_key")), {f"till:{self.shop.id}:{SALE_DAY}:R-1"}
        )
        self.assertEqual(set(ledger.mapped("document_name")), {"R-1"})
        self.assertEqual(set(ledger.mapped("sale_date")), {SALE_DAY})
        self.assertEqual(ledger.partner_id, self.anna)
        self.assertAlmostEqual(sum(ledger.mapped("amount")), 205.0)
        self.env.cr.execute(
            self.env["optical.sale.line"]._optical_sales_sql(partner_ids=self.anna.ids)
        )
        sales = self.env.cr.dictfetchall()
        self.assertEqual(len(sales), 1)
        self.assertAlmostEqual(float(sales[0]["amount"]), 205.0)
        self.assertTrue(sales[0]["is_purchase"])
        # the customer's optical profile in the shop: 2 packs of 30 daily lenses
        # last 30 days (two eyes)
        self.assertEqual(
            self._profile(self.anna, self.shop),
            (SALE_DAY, 205.0, SALE_DAY + timedelta(days=30)),
        )

    def test_sending_again_changes_nothing(self):
        first = self._accepted([self._document("R-2")])
        [accepted] = first["results"]
        ledger = self._ledger(accepted["touchpoint_ids"])
        ledger_rows = ledger.read(["line_key", "amount", "quantity"])
        changed = self._document("R-2", datetime="2024-06-01T09:00:00Z")
        changed["lines"][0]["amount"] = 999.0
        changed["lines"].append({"category": "lens_care", "amount": 9.0})
        again = self._accepted([self._document("R-2"), changed])
        self.assertEqual(again["duplicate"], 2)
        for result in again["results"]:
            self.assertEqual(result["status"], "duplicate")
            self.assertEqual(result["touchpoint_ids"], accepted["touchpoint_ids"])
            self.assertEqual(result["partner_id"], self.anna.id)
        self.assertEqual(
            self.env["optical.touchpoint"].search_count([("source", "=", "till")]), 3
        )
        ledger = self._ledger(accepted["touchpoint_ids"])
        self.assertEqual(ledger.read(["line_key", "amount", "quantity"]), ledger_rows)
        self.assertEqual(
            self._profile(self.anna, self.shop),
            (SALE_DAY, 205.0, SALE_DAY + timedelta(days=30)),
        )
        # the same document twice in one request: the second is a duplicate
        twice = self._accepted([self._document("R-3"), self._document("R-3")])
        self.assertEqual(
            [r["status"] for r in twice["results"]], ["accepted", "duplicate"]
        )
        # a touchpoint of the same source already uses a line's reference
        self.env["optical.touchpoint"].create(
            {
                "partner_id": self.anna.id,
                "datetime": "2024-05-01 10:00:00",
                "channel": "chat",
                "kind": "inquiry",
                "source": "till",
                "external_ref": "R-4#2",
            }
        )
        [taken] = self._accepted([self._document("R-4")])["results"]
        self.assertEqual(taken["status"], "rejected")
        self.assertIn("R-4#2", taken["reason"])
        self.assertFalse(
            self.env["optical.touchpoint"].search([("document_ref", "=", "R-4")])
        )

    def test_rejected_documents_write_nothing(self):
        other_currency = "JPY" if self.shop.currency_id.name != "JPY" else "USD"
        future = (fields.Datetime.now() + timedelta(hours=1)).isoformat()
        newcomer = {"name": "Nuovo Cliente", "email": "nuovo@example.com"}
        bad_lines = [
            {"default_code": "CL-D30", "amount": 25.0},
            {"default_code": "NOPE", "amount": 10},
            {"category": "telescope", "amount": 10},
            {"default_code": "CL-D30", "quantity": 1},
            {"category": "frame", "amount": "12,50"},
            {"category": "frame", "amount": 10, "quantity": 0},
            {"amount": 10, "description": "Something"},
            "not a line",
            {"default_code": "CL-D30", "barcode": "8001000000028", "amount": 5},
        ]
        documents = [
            self._document("OK-1"),
            self._document("BAD-LINES", customer=newcomer, lines=bad_lines),
            self._document("FUTURE", datetime=future, customer=newcomer),
            self._document("NO-LINES", lines=[]),
            self._document("CURRENCY", currency=other_currency),
            self._document("NOBODY", customer={"email": "nobody@example.com"}),
            self._document(None),
            self._document("RESERVED", source="import"),
            self._document("BAD-DATE", datetime="02/05/2024"),
            "not a document",
        ]
        body = self._accepted(documents)
        self.assertEqual(
            [r["status"] for r in body["results"]], ["accepted"] + ["rejected"] * 9
        )
        self.assertEqual((body["accepted"], body["rejected"]), (1, 9))
        results = body["results"]
        self.assertIn("8 of the 9 lines are rejected", results[1]["reason"])
        self.assertEqual(results[1]["document"], "BAD-LINES")
        lines = {line["line"]: line["reason"] for line in results[1]["lines"]}
        self.assertEqual(sorted(lines), [2, 3, 4, 5, 6, 7, 8, 9])
        self.assertIn("Unknown product", lines[2])
        self.assertIn("NOPE", lines[2])
        self.assertIn("telescope", lines[3])
        self.assertIn("'amount' is missing", lines[4])
        self.assertIn("JSON number", lines[5])
        self.assertIn("must not be 0", lines[6])
        self.assertIn("does not say what was bought", lines[7])
        self.assertIn("not a JSON object", lines[8])
        self.assertIn("two different products", lines[9])
        self.assertIn("in the future", results[2]["reason"])
        self.assertIn("no lines", results[3]["reason"])
        self.assertIn(other_currency, results[4]["reason"])
        self.assertIn("send 'name'", results[5]["reason"])
        self.assertIn("'document' is missing", results[6]["reason"])
        self.assertIn("reserved", results[7]["reason"])
        self.assertIn("ISO 8601", results[8]["reason"])
        self.assertIn("not a JSON object", results[9]["reason"])
        # only the good document is recorded: no line, no customer of the others
        touchpoints = self.env["optical.touchpoint"].search([("source", "=", "till")])
        self.assertEqual(set(touchpoints.mapped("document_ref")), {"OK-1"})
        self.assertEqual(len(touchpoints), 3)
        self.assertFalse(
            self.env["res.partner"].search([("email", "=", "nuovo@example.com")])
        )
        self.assertEqual(
            self.env["optical.sale.line"].search(
                [("res_model", "=", "optical.touchpoint")]
            ),
            self._ledger(touchpoints.ids),
        )

    def test_new_customer_and_refused_requests(self):
        newcomer = {"name": "Elena Costa", "email": "elena.costa@example.com"}
        body = self._accepted([self._document("N-1", customer=newcomer)])
        [result] = body["results"]
        self.assertTrue(result["partner_created"])
        elena = self.env["res.partner"].browse(result["partner_id"])
        self.assertEqual(elena.company_id, self.shop)
        self.assertEqual(self._profile(elena, self.shop)[:2], (SALE_DAY, 205.0))
        # the limits of the touchpoint API: key, user, body, size
        for response, status in (
            (self._post({"purchases": [self._document("X")]}, key=False), 401),
            (self._post({"purchases": [self._document("X")]}, key="nope"), 401),
            (self._post(None, raw="{not json"), 400),
            (self._post({"purchases": []}), 400),
            (
                self._post({"purchases": [self._document(str(i)) for i in range(501)]}),
                413,
            ),
            (self._post({"purchases": [self._document("X", lines=[{}] * 501)]}), 413),
        ):
            self.assertEqual(response.status_code, status, response.text)
            self.assertTrue(response.json()["error"])
        self.assertEqual(self.url_open(URL).status_code, 405)
        outsider = new_test_user(self.env, "pa_outsider", groups="base.group_user")
        response = self._post(
            {"purchases": [self._document("X")]}, key=self._key(outsider)
        )
        self.assertEqual(response.status_code, 403)
        self.assertFalse(
            self.env["optical.touchpoint"].search([("document_ref", "=", "X")])
        )


@tagged("post_install", "-at_install")
class TestPurchaseApiShops(PurchaseApiMixin, HttpCase):
    """Two shops' tills post to the same database: each records and sees its own
    sales, of its own or shared products, for shared customers too."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shop_a = cls.env.company
        cls.shop_b = cls.env["res.company"].create({"name": "Ottica B"})
        cls.users, cls.keys = {}, {}
        for login, shop in (("pa_api_a", cls.shop_a), ("pa_api_b", cls.shop_b)):
            cls.users[shop] = new_test_user(
                cls.env,
                login,
                groups="optical_crm.group_optical_user",
                company_id=shop.id,
                company_ids=[(6, 0, shop.ids)],
            )
            cls.keys[shop] = cls._key(cls.users[shop])
        # a customer of the whole chain, the chain's products, and one product
        # of shop A only
        cls.anna = cls.env["res.partner"].create({"name": "Anna", "ref": "C0042"})
        cls._products()
        cls.env["product.product"].create(
            {
                "name": "Shop A frame",
                "default_code": "A-ONLY",
                "optical_category": "frame",
                "company_id": cls.shop_a.id,
            }
        )

    def test_each_shop_records_and_sees_its_own(self):
        answer_a = self._accepted(
            [
                self._document(
                    "R-1",
                    lines=[
                        {"default_code": "CL-D30", "quantity": 2, "amount": 50.0},
                        {"default_code": "A-ONLY", "amount": 80.0},
                    ],
                )
            ],
            key=self.keys[self.shop_a],
        )
        [result_a] = answer_a["results"]
        self.assertEqual(result_a["status"], "accepted", result_a)
        # shop B's till uses the same number: shop A's product is unknown there,
        # and shop A's document is not a duplicate of it
        answer_b = self._accepted(
            [
                self._document("R-1", lines=[{"default_code": "A-ONLY", "amount": 1}]),
                self._document("R-1", lines=[{"default_code": "CL-D30", "amount": 30}]),
            ],
            key=self.keys[self.shop_b],
        )
        rejected, result_b = answer_b["results"]
        self.assertEqual(rejected["status"], "rejected")
        self.assertIn("Unknown product", rejected["lines"][0]["reason"])
        self.assertEqual(result_b["status"], "accepted", result_b)
        self.assertFalse(
            set(result_b["touchpoint_ids"]) & set(result_a["touchpoint_ids"])
        )
        self.assertNotIn(str(result_a["touchpoint_ids"][0]), json.dumps(answer_b))
        ledger_a = self._ledger(result_a["touchpoint_ids"])
        ledger_b = self._ledger(result_b["touchpoint_ids"])
        self.assertEqual(
            set(ledger_a.mapped("document_key")),
            {f"till:{self.shop_a.id}:{SALE_DAY}:R-1"},
        )
        self.assertEqual(
            set(ledger_b.mapped("document_key")),
            {f"till:{self.shop_b.id}:{SALE_DAY}:R-1"},
        )
        self.assertEqual(
            (ledger_a.company_id, ledger_b.company_id), (self.shop_a, self.shop_b)
        )
        # shop B's user sees shop B's sales only
        user_b = self.users[self.shop_b]
        self.assertEqual(
            self.env["optical.sale.line"].with_user(user_b).search([]), ledger_b
        )
        self.assertFalse(
            self.env["optical.touchpoint"]
            .with_user(user_b)
            .search([("id", "in", result_a["touchpoint_ids"])])
        )
        # one profile per shop
        self.assertEqual(
            self._profile(self.anna, self.shop_a),
            (SALE_DAY, 130.0, SALE_DAY + timedelta(days=30)),
        )
        self.assertEqual(
            self._profile(self.anna, self.shop_b),
            (SALE_DAY, 30.0, SALE_DAY + timedelta(days=15)),
        )
        # each shop's resend is a duplicate of its own document only
        for shop, result in ((self.shop_a, result_a), (self.shop_b, result_b)):
            again = self._accepted(
                [self._document("R-1", lines=[{"category": "frame", "amount": 5}])],
                key=self.keys[shop],
            )
            [row] = again["results"]
            self.assertEqual(row["status"], "duplicate")
            self.assertEqual(row["touchpoint_ids"], result["touchpoint_ids"])
        self.assertEqual(self._profile(self.anna, self.shop_b)[1], 30.0)
