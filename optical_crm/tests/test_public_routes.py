"""The public routes of optical_crm under attack: the touchpoint API, and Odoo's SMS
and email unsubscribe links as our campaigns and cycles send them.

Each refusal is a 4xx (or the neutral redirect Odoo's SMS opt-out page answers for
an unknown code: a page that tells whether a code exists would help guessing),
writes nothing, shows no customer data and no internal error; repeated failures
from one address are answered 429 with Retry-After.
"""

import json
from datetime import datetime, timedelta

from odoo.tests import HttpCase, freeze_time, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.optical_crm.models.optical_public_throttle import MAX_FAILURES

from .public_routes_common import HOSTILE, HOSTILE_URL, PublicRouteMixin, path_segment

API = "/optical_crm/api/touchpoints"


@tagged("post_install", "-at_install")
class TestPublicRoutes(PublicRouteMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.api_user = new_test_user(
            cls.env, "pr_api", groups="optical_crm.group_optical_user"
        )
        cls.key = (
            cls.env["res.users.apikeys"]
            .with_user(cls.api_user)
            ._generate(None, "website", datetime.now() + timedelta(days=1))
        )
        outsider = new_test_user(cls.env, "pr_outsider", groups="base.group_user")
        cls.outsider_key = (
            cls.env["res.users.apikeys"]
            .with_user(outsider)
            ._generate(None, "x", datetime.now() + timedelta(days=1))
        )
        cls.anna = cls.env["res.partner"].create(
            {
                "name": "Anna Segreta",
                "ref": "C-SECRET",
                "email": "anna.segreta@example.com",
                "mobile": "+39 333 987 6543",
            }
        )
        cls.secrets = ("Anna Segreta", "anna.segreta@example.com", "9876543")
        cls.env["optical.prescription"].create(
            {"partner_id": cls.anna.id, "date": "2024-01-10", "od_sphere": -2.75}
        )

    def setUp(self):
        super().setUp()
        self._clear_throttle()

    # ------------------------------------------------------------ touchpoint API
    def _api(self, body=None, key=None, raw=None, headers=None):
        all_headers = {"Content-Type": "application/json"}
        if key is not False:
            all_headers["Authorization"] = f"Bearer {key or self.key}"
        all_headers.update(headers or {})
        data = raw if raw is not None else json.dumps(body)
        return self.url_open(API, data=data, headers=all_headers)

    def _row(self, ref="w-1", **vals):
        return {
            "external_ref": ref,
            "source": "website",
            "datetime": "2024-05-02T10:15:00+02:00",
            "channel": "web",
            "kind": "inquiry",
            "summary": "Question",
            "customer": {"ref": "C-SECRET"},
            **vals,
        }

    @mute_logger("odoo.addons.optical_crm.models.optical_public_throttle")
    def test_api_refuses_missing_wrong_expired_and_revoked_keys(self):
        before = self._row_counts()
        body = {"touchpoints": [self._row()]}
        expired_key = (
            self.env["res.users.apikeys"]
            .with_user(self.api_user)
            ._generate(None, "old", datetime.now() + timedelta(days=1))
        )
        revoked_key = (
            self.env["res.users.apikeys"]
            .with_user(self.api_user)
            ._generate(None, "revoked", datetime.now() + timedelta(days=1))
        )
        self.env["res.users.apikeys"].sudo().search([("name", "=", "revoked")]).unlink()
        attempts = [
            ("no header", {}, False),
            ("basic auth", {"Authorization": "Basic YWRtaW46YWRtaW4="}, False),
            ("empty bearer", {"Authorization": "Bearer "}, False),
            ("guessed", {}, "0123456789abcdef0123456789abcdef01234567"),
            ("revoked", {}, revoked_key),
        ] + [(f"hostile {value[:10]!r}", {}, value) for value in HOSTILE_URL[:5]]
        for label, headers, key in attempts:
            response = self._api(body, key=key if key else False, headers=headers)
            self.assertRefused(response, (401,), self.secrets, label)
            self.assertIn("API key", response.json()["error"])
        self._clear_throttle()
        # keys expire by the database clock
        self.env.cr.execute(
            "UPDATE res_users_apikeys SET expiration_date = now() - interval '1 hour'"
            " WHERE name = 'old'"
        )
        response = self._api(body, key=expired_key)
        self.assertRefused(response, (401,), self.secrets, "expired")
        # a valid key of a user outside the Optical CRM groups
        self.assertRefused(self._api(body, key=self.outsider_key), (403,), self.secrets)
        # only POST
        self.assertRefused(self.url_open(API), (405,), self.secrets)
        self.assertEqual(self._row_counts(), before)

    def test_api_malformed_and_oversized_bodies(self):
        before = self._row_counts()
        nested = "[" * 100000 + "]" * 100000
        for label, raw, status in (
            ("not json", "{not json", 400),
            ("not utf-8", b"\xff\xfe{}", 400),
            ("json nested 100000 deep", nested, 400),
            ("null", "null", 400),
            ("number", "42", 400),
            ("string", json.dumps("touchpoints"), 400),
            ("object of nothing", json.dumps({"touchpoints": {}}), 400),
            ("too many rows", json.dumps({"touchpoints": [{}] * 501}), 413),
            ("over 1 MB", json.dumps([{"summary": "x" * (1024 * 1024)}]), 413),
        ):
            response = self._api(raw=raw)
            self.assertRefused(response, (status,), self.secrets, label)
            self.assertTrue(response.json()["error"], label)
        self.assertEqual(self._row_counts(), before)

    def test_api_hostile_rows_are_rejected_one_by_one(self):
        before = self._row_counts()
        rows = []
        for value in HOSTILE:
            rows += [
                self._row(value),
                self._row(summary=value),
                self._row(channel=value),
                self._row(kind=value),
                self._row(source=value),
                self._row(datetime=value),
                self._row(customer={"ref": value}),
                self._row(customer={"email": value}),
                self._row(customer={"mobile": value}),
            ]
        rows += [
            self._row(customer={"ref": ["C-SECRET"]}),
            self._row(customer={"ref": {"$ne": None}}),
            self._row(12),
            self._row(summary=["x"]),
            [],
            None,
        ]
        for index, row in enumerate(rows):
            if isinstance(row, dict) and row["external_ref"] == "w-1":
                row["external_ref"] = f"w-{index}"
        response = self._api({"touchpoints": rows})
        self.assertRefused(response, (200,), ("Anna Segreta", "9876543"))
        results = response.json()["results"]
        self.assertEqual(len(results), len(rows))
        self.assertEqual(
            {r["status"] for r in results}, {"accepted", "rejected"}, results
        )
        accepted = [r for r in results if r["status"] == "accepted"]
        for result in results:
            if result["status"] == "rejected":
                self.assertNotIn("Traceback", result["reason"])
                self.assertLess(len(result["reason"]), 400, result["reason"][:200])
        # accepted: references and summaries of SQL, markup or paths, as text
        self.assertEqual(len(accepted), 10, [rows[r["index"]] for r in accepted])
        after = self._row_counts()
        self.assertEqual(after["res.partner"], before["res.partner"])
        self.assertEqual(
            after["optical.touchpoint"], before["optical.touchpoint"] + len(accepted)
        )
        touchpoints = self.env["optical.touchpoint"].search(
            [("source", "=", "website")]
        )
        self.assertEqual(touchpoints.partner_id, self.anna)
        self.assertIn(HOSTILE[2], touchpoints.mapped("summary"))
        self.assertIn(HOSTILE[0], touchpoints.mapped("external_ref"))
        self.assertFalse([t for t in touchpoints if "\x00" in (t.summary or "")])

    @mute_logger("odoo.addons.optical_crm.models.optical_public_throttle")
    def test_api_guessed_keys_are_throttled(self):
        body = {"touchpoints": [self._row()]}
        for attempt in range(MAX_FAILURES):
            response = self._api(body, key=f"guess-{attempt:034d}")
            self.assertEqual(response.status_code, 401)
        response = self._api(body, key="guess-once-more")
        self.assertEqual(response.status_code, 429)
        self.assertGreater(int(response.headers["Retry-After"]), 0)
        # the right key works even from the throttled address: only failed
        # attempts are refused
        response = self._api(body)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["accepted"], 1)
        self.assertEqual(self._api(body, key="guess-again").status_code, 429)
        # after the window, wrong keys are answered 401 again
        with freeze_time(datetime.now() + timedelta(minutes=11)):
            response = self._api(body, key="guess-after")
        self.assertEqual(response.status_code, 401)

    # ---------------------------------------------------------- SMS unsubscribe
    def _sms_mailing_trace(self):
        mailing = self.env["mailing.mailing"].create(
            {
                "subject": "Saldi",
                "mailing_type": "sms",
                "body_plaintext": "Saldi!",
                "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
                "sms_allow_unsubscribe": True,
            }
        )
        trace = self.env["mailing.trace"].create(
            {
                "trace_type": "sms",
                "mass_mailing_id": mailing.id,
                "model": "res.partner",
                "res_id": self.anna.id,
                "sms_number": "+393339876543",
                "sms_code": "k7q",
            }
        )
        return mailing, trace

    def test_sms_unsubscribe_with_wrong_codes_and_numbers(self):
        mailing, _trace = self._sms_mailing_trace()
        before = self._row_counts()
        for code in ("zzz", "", "k7", "k7qq") + HOSTILE_URL:
            for path in ("/sms/%s/%s", "/sms/%s/unsubscribe/%s"):
                url = path % (mailing.id, path_segment(code))
                response = self.url_open(url, allow_redirects=False)
                # Odoo answers an unknown code with a redirect to its home page
                self.assertRefused(
                    response,
                    (301, 302, 303, 400, 404),
                    self.secrets,
                    f"{path} {code[:10]!r}",
                )
            self._clear_throttle()
        # the right code with another number, or a hostile one: nothing blacklisted
        for number in ("+393330000000", "<script>alert('x')</script>", "1' OR '1'='1"):
            response = self.url_open(
                f"/sms/{mailing.id}/unsubscribe/k7q?sms_number={path_segment(number)}"
            )
            self.assertRefused(response, (200,), self.secrets)
            self.assertNotIn("<script>alert", response.text)
        self.assertEqual(self._row_counts(), before)
        # the right code and number: blacklisted, consent revoked
        response = self.url_open(
            f"/sms/{mailing.id}/unsubscribe/k7q?sms_number=%2B393339876543"
        )
        self.assertEqual(response.status_code, 200)
        self.anna.invalidate_recordset()
        self.assertTrue(self.anna.phone_sanitized_blacklisted)
        self.assertFalse(self.anna._optical_contact_allowed("sms", "marketing")[0])

    @mute_logger("odoo.addons.optical_crm.models.optical_public_throttle")
    def test_sms_unsubscribe_guessing_is_throttled(self):
        mailing, _trace = self._sms_mailing_trace()
        for attempt in range(MAX_FAILURES):
            response = self.url_open(
                f"/sms/{mailing.id}/a{attempt:02d}", allow_redirects=False
            )
            self.assertIn(response.status_code, (302, 303))
        response = self.url_open(f"/sms/{mailing.id}/zzz", allow_redirects=False)
        self.assertEqual(response.status_code, 429)
        self.assertTrue(response.headers["Retry-After"])
        # the customer's right code is never refused
        response = self.url_open(f"/sms/{mailing.id}/k7q", allow_redirects=False)
        self.assertEqual(response.status_code, 200)
        self.assertIn("sms_number", response.text)

    # -------------------------------------------------------- email unsubscribe
    def test_email_unsubscribe_with_wrong_tokens(self):
        mailing = self.env["mailing.mailing"].create(
            {
                "subject": "Novità",
                "mailing_type": "mail",
                "body_html": "<p>Novità</p>",
                "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
            }
        )
        email = "anna.segreta@example.com"
        good = mailing._generate_mailing_recipient_token(self.anna.id, email)
        before = self._row_counts()
        base = f"/mailing/{mailing.id}/unsubscribe"
        attempts = [
            ("no token", f"{base}?document_id={self.anna.id}&email={email}", 400),
            (
                "wrong token",
                f"{base}?document_id={self.anna.id}&email={email}&hash_token=x{good}",
                401,
            ),
            (
                "token of another customer",
                f"{base}?document_id={self.anna.id + 1}&email={email}"
                f"&hash_token={good}",
                401,
            ),
            (
                "unknown mailing",
                f"/mailing/{mailing.id + 1000}/unsubscribe?document_id="
                f"{self.anna.id}&email={email}&hash_token={good}",
                401,
            ),
        ] + [
            (
                f"hostile {value[:10]!r}",
                f"{base}?document_id={self.anna.id}&email={path_segment(value)}"
                f"&hash_token={path_segment(value)}",
                401,
            )
            for value in HOSTILE_URL
        ]
        with mute_logger("odoo.http"):
            for label, url, status in attempts:
                response = self.url_open(url)
                # a website page: Odoo shows its error page with 418 when it has
                # no page for the status (401)
                statuses = (status, 418) if status == 401 else (status,)
                self.assertRefused(response, statuses, self.secrets, label)
                self._clear_throttle()
        self.assertEqual(self._row_counts(), before)
        # the signed link works, and revokes the email consent
        response = self.url_open(
            f"{base}?document_id={self.anna.id}&email={email}&hash_token={good}"
        )
        self.assertEqual(response.status_code, 200)
        self.assertFalse(self.anna._optical_contact_allowed("email", "marketing")[0])

    @mute_logger("odoo.addons.optical_crm.models.optical_public_throttle")
    def test_email_unsubscribe_guessing_is_throttled(self):
        mailing = self.env["mailing.mailing"].create(
            {
                "subject": "Novità",
                "mailing_type": "mail",
                "body_html": "<p>Novità</p>",
                "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
            }
        )
        url = (
            f"/mailing/{mailing.id}/unsubscribe?document_id={self.anna.id}"
            "&email=anna.segreta@example.com&hash_token=%s"
        )
        with mute_logger("odoo.http"):
            for attempt in range(MAX_FAILURES):
                self.assertIn(self.url_open(url % attempt).status_code, (401, 418))
            response = self.url_open(url % "again")
        self.assertEqual(response.status_code, 429)
        self.assertTrue(response.headers["Retry-After"])
        # the customer's signed link is never refused
        good = mailing._generate_mailing_recipient_token(
            self.anna.id, "anna.segreta@example.com"
        )
        self.assertEqual(self.url_open(url % good).status_code, 200)
