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
        self.assertIn("not allowed", reasons[11])
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
