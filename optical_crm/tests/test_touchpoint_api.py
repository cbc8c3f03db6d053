import json
from datetime import datetime, timedelta

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged

URL = "/optical_crm/api/touchpoints"


@tagged("post_install", "-at_install")
class TestTouchpointApi(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.api_user = new_test_user(
            cls.env, "tp_api", groups="optical_crm.group_optical_user"
        )
        cls.key = (
            cls.env["res.users.apikeys"]
            .with_user(cls.api_user)
            ._generate(None, "chat integration", datetime.now() + timedelta(days=1))
        )
        cls.anna = cls.env["res.partner"].create(
            {
                "name": "Anna Bianchi",
                "ref": "C0042",
                "email": "Anna.Bianchi@Example.com",
                "mobile": "+39 333 123 4567",
            }
        )
        # a family sharing one mobile number
        cls.env["res.partner"].create(
            [
                {"name": "Mario Russo", "mobile": "+39 347 765 4321"},
                {"name": "Sara Russo", "mobile": "+39 347 765 4321"},
            ]
        )

    def _post(self, body, key=None, raw=None):
        headers = {"Content-Type": "application/json"}
        if key is not False:
            headers["Authorization"] = f"Bearer {key or self.key}"
        return self.url_open(
            URL, data=raw if raw is not None else json.dumps(body), headers=headers
        )

    def _row(self, ref, **vals):
        return {
            "external_ref": ref,
            "source": "chat",
            "datetime": "2024-05-02T10:15:00+02:00",
            "channel": "chat",
            "kind": "inquiry",
            "summary": "Price of daily lenses?",
            "customer": {"ref": "C0042"},
            **vals,
        }

    def _touchpoints(self):
        return self.env["optical.touchpoint"].search([("source", "=", "chat")])

    def test_authentication(self):
        response = self._post({"touchpoints": [self._row("a")]}, key=False)
        self.assertEqual(response.status_code, 401)
        self.assertIn("API key", response.json()["error"])
        response = self._post({"touchpoints": [self._row("a")]}, key="not-a-key")
        self.assertEqual(response.status_code, 401)
        outsider = new_test_user(self.env, "tp_outsider", groups="base.group_user")
        outsider_key = (
            self.env["res.users.apikeys"]
            .with_user(outsider)
            ._generate(None, "x", datetime.now() + timedelta(days=1))
        )
        response = self._post({"touchpoints": [self._row("a")]}, key=outsider_key)
        self.assertEqual(response.status_code, 403)
        self.assertFalse(self._touchpoints())
        response = self.url_open(URL)  # GET
        self.assertEqual(response.status_code, 405)

    def test_malformed_bodies(self):
        for raw, status in (
            ("{not json", 400),
            (json.dumps({"touchpoints": []}), 400),
            (json.dumps({"rows": [1]}), 400),
            (json.dumps({"touchpoints": [self._row(str(i)) for i in range(501)]}), 413),
            ("x" * (1024 * 1024 + 1), 413),
        ):
            response = self._post(None, raw=raw)
            self.assertEqual(response.status_code, status, raw[:30])
            self.assertTrue(response.json()["error"])
        self.assertFalse(self._touchpoints())

    def test_batch_answered_row_by_row(self):
        future = (fields.Datetime.now() + timedelta(hours=1)).isoformat()
        rows = [
            self._row("ok-ref"),
            self._row("ok-email", customer={"email": "anna.bianchi@example.com"}),
            self._row("ok-mobile", customer={"mobile": "+393331234567"}),
            self._row("no-customer", customer=None),
            self._row("no-time", datetime=None),
            self._row("future", datetime=future),
            self._row("bad-channel", channel="fax"),
            self._row("bad-date", datetime="02/05/2024"),
            self._row("ambiguous", customer={"mobile": "+39 347 765 4321"}),
            self._row("unknown", customer={"email": "nobody@example.com"}),
            self._row("bad-email", customer={"email": "not an email"}),
            self._row("reserved", source="odoo"),
            "not an object",
            self._row("ok-ref"),  # the same row twice in one batch
        ]
        response = self._post({"touchpoints": rows})
        self.assertEqual(response.status_code, 200)
        body = response.json()
        statuses = [r["status"] for r in body["results"]]
        self.assertEqual(
            statuses,
            ["accepted"] * 3 + ["rejected"] * 10 + ["duplicate"],
        )
        self.assertEqual(
            (body["accepted"], body["rejected"], body["duplicate"]), (3, 10, 1)
        )
        reasons = [r.get("reason", "") for r in body["results"]]
        self.assertIn("no customer", reasons[3])
        self.assertIn("no date and time", reasons[4])
        self.assertIn("in the future", reasons[5])
        self.assertIn("fax", reasons[6])
        self.assertIn("ISO 8601", reasons[7])
        self.assertIn("Several customers", reasons[8])
        self.assertIn("send 'name'", reasons[9])
        self.assertIn("not a valid address", reasons[10])
        self.assertIn("reserved", reasons[11])
        self.assertIn("not a JSON object", reasons[12])
        touchpoints = self._touchpoints()
        self.assertEqual(len(touchpoints), 3)
        self.assertEqual(touchpoints.partner_id, self.anna)
        ok = touchpoints.filtered(lambda t: t.external_ref == "ok-ref")
        self.assertEqual(str(ok.datetime), "2024-05-02 08:15:00", "stored in UTC")
        self.assertEqual(ok.company_id, self.api_user.company_id)

    def test_resent_rows_change_nothing(self):
        body = {"touchpoints": [self._row("r1"), self._row("r2")]}
        first = self._post(body).json()
        self.assertEqual(first["accepted"], 2)
        again = self._post(
            {"touchpoints": [self._row("r1", summary="changed"), self._row("r2")]}
        ).json()
        self.assertEqual(again["duplicate"], 2)
        self.assertEqual(
            [r["touchpoint_id"] for r in again["results"]],
            [r["touchpoint_id"] for r in first["results"]],
        )
        self.assertEqual(
            set(self._touchpoints().mapped("summary")), {"Price of daily lenses?"}
        )

    def test_new_customer_created_once(self):
        customer = {
            "name": "Elena Costa",
            "email": "elena.costa@example.com",
            "mobile": "+39 338 111 2233",
        }
        body = {
            "touchpoints": [
                self._row("n1", customer=customer),
                self._row("n2", customer=dict(customer, name="E. Costa")),
                self._row("n3", customer={"mobile": "+393381112233"}),
            ]
        }
        result = self._post(body).json()
        self.assertEqual(result["accepted"], 3)
        self.assertEqual(
            [r["partner_created"] for r in result["results"]], [True, False, False]
        )
        elena = self.env["res.partner"].search(
            [("email", "=", "elena.costa@example.com")]
        )
        self.assertEqual(len(elena), 1)
        self.assertEqual(elena.mobile, "+393381112233")
        self.assertEqual(
            len(self._touchpoints().filtered(lambda t: t.partner_id == elena)), 3
        )


@tagged("post_install", "-at_install")
class TestTouchpointApiShops(HttpCase):
    """Two shops' systems post to the same database: each stays in its shop."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shop_a = cls.env.company
        cls.shop_b = cls.env["res.company"].create({"name": "Ottica B"})
        cls.keys = {}
        for login, shop in (("tp_api_a", cls.shop_a), ("tp_api_b", cls.shop_b)):
            user = new_test_user(
                cls.env,
                login,
                groups="optical_crm.group_optical_user",
                company_id=shop.id,
                company_ids=[(6, 0, shop.ids)],
            )
            cls.keys[shop] = (
                cls.env["res.users.apikeys"]
                .with_user(user)
                ._generate(None, "integration", datetime.now() + timedelta(days=1))
            )
        # shop A's own customer, and a customer of A who left (archived)
        cls.anna = cls.env["res.partner"].create(
            {
                "name": "Anna Bianchi",
                "ref": "A-0042",
                "email": "anna.bianchi@example.com",
                "company_id": cls.shop_a.id,
            }
        )
        cls.gone = cls.env["res.partner"].create(
            {
                "name": "Gino Neri",
                "ref": "A-0099",
                "email": "gino.neri@example.com",
                "company_id": cls.shop_a.id,
                "active": False,
            }
        )

    def _post(self, shop, rows):
        response = self.url_open(
            URL,
            data=json.dumps({"touchpoints": rows}),
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {self.keys[shop]}",
            },
        )
        self.assertEqual(response.status_code, 200, response.text)
        return response.json()

    def _row(self, ref, customer, source="chat"):
        return {
            "external_ref": ref,
            "source": source,
            "datetime": "2024-05-02T10:15:00+02:00",
            "channel": "chat",
            "kind": "inquiry",
            "customer": customer,
        }

    def test_same_reference_in_two_shops(self):
        first = self._post(self.shop_a, [self._row("chat-1", {"ref": "A-0042"})])
        self.assertEqual(first["accepted"], 1)
        # shop B's system uses the same reference for its own customer
        second = self._post(
            self.shop_b,
            [
                self._row(
                    "chat-1", {"name": "Bruno Verdi", "email": "bruno@example.com"}
                )
            ],
        )
        [result] = second["results"]
        self.assertEqual(result["status"], "accepted", result)
        self.assertNotEqual(
            result["touchpoint_id"], first["results"][0]["touchpoint_id"]
        )
        self.assertNotEqual(result["partner_id"], self.anna.id)
        touchpoints = self.env["optical.touchpoint"].search(
            [("source", "=", "chat"), ("external_ref", "=", "chat-1")]
        )
        self.assertEqual(touchpoints.company_id, self.shop_a | self.shop_b)
        # each shop's resend is a duplicate of its own row only
        for shop, answer in ((self.shop_a, first), (self.shop_b, second)):
            again = self._post(shop, [self._row("chat-1", {"ref": "whatever"})])
            [row] = again["results"]
            self.assertEqual(row["status"], "duplicate")
            self.assertEqual(
                row["touchpoint_id"], answer["results"][0]["touchpoint_id"]
            )
            self.assertEqual(row["partner_id"], answer["results"][0]["partner_id"])
        # Odoo's own records (exams, invoices) are unique per shop as well
        Touchpoint = self.env["optical.touchpoint"]
        created = Touchpoint._record_once(
            [
                {
                    "partner_id": self.anna.id,
                    "datetime": "2024-05-02 08:15:00",
                    "channel": "store",
                    "kind": "visit",
                    "source": "odoo",
                    "external_ref": "doc-1",
                    "company_id": shop.id,
                }
                for shop in (self.shop_a, self.shop_b, self.shop_b)
            ]
        )
        self.assertEqual(created.company_id, self.shop_a | self.shop_b)
        self.assertEqual(len(created), 2)

    def test_customers_of_another_shop_are_never_matched(self):
        for customer in (
            {"ref": "A-0042"},
            {"email": "anna.bianchi@example.com"},
            {"ref": "A-0042", "name": "Anna B."},
            {"email": "Anna.Bianchi@example.com", "name": "Anna B."},
        ):
            answer = self._post(self.shop_b, [self._row(f"b-{customer}", customer)])
            [result] = answer["results"]
            self.assertNotIn(str(self.anna.id), json.dumps(answer), customer)
            if "name" in customer:
                # not found in shop B: a customer of shop B is created
                self.assertEqual(result["status"], "accepted")
                self.assertTrue(result["partner_created"])
                partner = self.env["res.partner"].browse(result["partner_id"])
                self.assertEqual(partner.company_id, self.shop_b)
            else:
                self.assertEqual(result["status"], "rejected")
                self.assertIn("send 'name'", result["reason"])
        self.assertFalse(self.anna.optical_touchpoint_ids)
        # in shop A, Anna is found
        answer = self._post(self.shop_a, [self._row("a-1", {"ref": "A-0042"})])
        self.assertEqual(answer["results"][0]["partner_id"], self.anna.id)

    def test_archived_customers_are_never_matched(self):
        for customer in (
            {"ref": "A-0099"},
            {"email": "gino.neri@example.com", "name": "Gino Neri"},
        ):
            answer = self._post(self.shop_a, [self._row(f"g-{customer}", customer)])
            [result] = answer["results"]
            self.assertEqual(result["status"], "rejected")
            self.assertIn("archived", result["reason"])
            self.assertNotIn(str(self.gone.id), json.dumps(answer))
        self.assertFalse(
            self.env["optical.touchpoint"].search([("partner_id", "=", self.gone.id)])
        )
        self.assertEqual(
            self.env["res.partner"].search_count(
                [("email", "=", "gino.neri@example.com")]
            ),
            0,
            "no active duplicate of the archived customer",
        )

    def test_internal_sources_are_reserved(self):
        sources = self.env["optical.touchpoint"]._optical_internal_sources()
        self.assertLessEqual({"odoo", "import", "demo"}, sources)
        answer = self._post(
            self.shop_a,
            [self._row(f"r-{source}", {"ref": "A-0042"}, source) for source in sources],
        )
        self.assertEqual(answer["rejected"], len(sources))
        for result in answer["results"]:
            self.assertIn("reserved", result["reason"])
        self.assertFalse(self.anna.optical_touchpoint_ids)
