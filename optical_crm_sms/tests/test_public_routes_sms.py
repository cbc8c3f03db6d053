"""The public routes of optical_crm_sms under attack: landing pages (``/o/<token>``
and its booking and opt-out forms) and the delivery reports of Skebby and Twilio.

Refusals are 4xx, write nothing, show no customer data and no internal error;
repeated failures from one address are answered 429 with Retry-After. A delivery
report with a valid secret but an unknown message is answered 200: providers
retry a report until they get a 2xx, so an error would only bring it back.
"""

import base64
import hashlib
import hmac
import re
from datetime import timedelta
from urllib.parse import urlencode

from odoo import fields
from odoo.tests import HttpCase, freeze_time, tagged
from odoo.tools import mute_logger

from odoo.addons.optical_crm.models.optical_public_throttle import MAX_FAILURES
from odoo.addons.optical_crm.tests.public_routes_common import (
    HOSTILE,
    HOSTILE_URL,
    PublicRouteMixin,
    path_segment,
)

from .common import SmsProviderMixin

QUIET = (
    "odoo.addons.optical_crm_sms.controllers.delivery_reports",
    "odoo.addons.optical_crm.models.optical_public_throttle",
)
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@tagged("post_install", "-at_install")
class TestPublicRoutesSms(PublicRouteMixin, SmsProviderMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_providers()
        cls.landing = cls.env["optical.landing.page"].create(
            {
                "name": "Occhiali da sole -20%",
                "offer_text": "Solo per te fino a fine mese.",
                "user_id": cls.env.ref("base.user_admin").id,
            }
        )
        cls.maria = cls.env["res.partner"].create(
            {
                "name": "Maria Riservata",
                "mobile": "+393471112299",
                "email": "maria.riservata@example.com",
            }
        )
        cls.other = cls.env["res.partner"].create(
            {"name": "Piero Altrocliente", "mobile": "+393471112288"}
        )
        exam = cls.env["optical.exam"].create(
            {"partner_id": cls.maria.id, "date": "2024-01-10", "note": "Glaucoma"}
        )
        cls.env["optical.prescription"].create(
            {
                "partner_id": cls.maria.id,
                "date": "2024-01-10",
                "exam_id": exam.id,
                "od_sphere": -2.75,
                "os_sphere": -3.25,
                "note": "Miopia",
            }
        )
        cls.secrets = (
            "Riservata",
            "maria.riservata@example.com",
            "3471112299",
            "Altrocliente",
        )
        cls.health = ("-2.75", "-3.25", "Glaucoma", "Miopia", "-2,75")

    def setUp(self):
        super().setUp()
        self._reset_fakes()
        self._clear_throttle()
        self.env["ir.config_parameter"].sudo().set_param(
            "web.base.url", self.base_url()
        )

    # ----------------------------------------------------------------- landing
    def _link(self, partner=None):
        partner = partner or self.maria
        mailing = self.landing._create_sms_mailing("Ciao {{ object.name }}")
        urls, links = self.env["optical.landing.token"]._issue(
            self.landing, mailing, {partner.id: partner}
        )
        return urls[partner.id].rsplit("/", 1)[1], links

    def _csrf(self, token):
        return CSRF_RE.search(self.url_open(f"/o/{token}").text).group(1)

    def test_landing_page_shows_first_name_only_and_no_health_data(self):
        token, _links = self._link()
        for response in (
            self.url_open(f"/o/{token}"),
            self.url_open(f"/o/{token}/book", data={"csrf_token": self._csrf(token)}),
        ):
            self.assertEqual(response.status_code, 200)
            self.assertIn("Maria", response.text)
            self.assertRefused(response, (200,), self.secrets + self.health)
            for word in ("prescri", "Prescri", "exam", "Exam", "sphere", "Sfera"):
                self.assertNotIn(word, response.text)
            self.assertEqual(response.headers["X-Robots-Tag"], "noindex, nofollow")
            self.assertIn("no-store", response.headers["Cache-Control"])

    def test_landing_refuses_wrong_expired_revoked_and_guessed_tokens(self):
        token, link = self._link()
        expired, expired_link = self._link(self.other)
        expired_link.expiry = fields.Datetime.now() - timedelta(seconds=1)
        revoked, revoked_link = self._link(self.other)
        revoked_link.revoked = True
        archived_page = self.landing.copy({"name": "Vecchia offerta"})
        archived, _archived_link = self.env["optical.landing.token"]._issue(
            archived_page, link.mailing_id, {self.other.id: self.other}
        )
        archived = archived[self.other.id].rsplit("/", 1)[1]
        archived_page.active = False
        csrf = self._csrf(token)
        self._clear_throttle()
        before = self._row_counts()
        bad_tokens = [
            token[:-1],
            token + "A",
            token.upper() if token.upper() != token else token.lower(),
            "AAAAAAAAAAAA",
            "x" * 65,
            expired,
            revoked,
            archived,
        ] + list(HOSTILE_URL)
        with mute_logger("odoo.http"):
            for bad in bad_tokens:
                segment = path_segment(bad)
                for method, path, data in (
                    ("GET", f"/o/{segment}", None),
                    ("GET", f"/o/{segment}/image", None),
                    ("POST", f"/o/{segment}/book", {"csrf_token": csrf}),
                    ("POST", f"/o/{segment}/optout", {"csrf_token": csrf}),
                ):
                    response = self.url_open(path, data=data)
                    self.assertRefused(
                        response,
                        (400, 404),
                        self.secrets + self.health,
                        f"{method} {path[:40]}",
                    )
                self._clear_throttle()
            # the forms need the session's CSRF token
            for path in (f"/o/{token}/book", f"/o/{token}/optout"):
                response = self.url_open(path, data={"slot": "any"})
                self.assertRefused(response, (400,), self.secrets)
            # an oversized form
            response = self.url_open(
                f"/o/{token}x/book", data={"csrf_token": csrf, "slot": "x" * 3_000_000}
            )
            self.assertRefused(response, (400, 404, 413), self.secrets)
        self.assertEqual(self._row_counts(), before)
        self.assertFalse(link.booked_at)
        self.assertFalse(link.revoked)

    def test_landing_forms_take_hostile_values_as_nothing(self):
        token, link = self._link()
        csrf = self._csrf(token)
        before = self._row_counts()
        response = self.url_open(
            f"/o/{token}/book",
            data={
                "csrf_token": csrf,
                "slot": HOSTILE[1],
                "day": HOSTILE[2],
                "note": HOSTILE[6],
            },
        )
        self.assertRefused(response, (200,), self.secrets)
        self.assertNotIn("<script>alert", response.text)
        after = self._row_counts()
        # one call-back activity, one booking touchpoint: nothing else
        self.assertEqual(after["mail.activity"], before["mail.activity"] + 1)
        self.assertEqual(after["optical.touchpoint"], before["optical.touchpoint"] + 1)
        activity = self.maria.activity_ids
        self.assertIn("at any time", str(activity.note))
        for value in HOSTILE:
            self.assertNotIn(value[:20], str(activity.note))
        self.assertTrue(link.booked_at)

    @mute_logger(*QUIET)
    def test_landing_guessing_is_throttled(self):
        token, _link = self._link()
        for attempt in range(MAX_FAILURES):
            self.assertEqual(self.url_open(f"/o/guess{attempt:05d}").status_code, 404)
        response = self.url_open("/o/guessagain00")
        self.assertEqual(response.status_code, 429)
        retry_after = int(response.headers["Retry-After"])
        self.assertTrue(0 < retry_after <= 600)
        # the customer's own link is never refused
        response = self.url_open(f"/o/{token}")
        self.assertEqual(response.status_code, 200)
        self.assertIn("Maria", response.text)
        # the delivery reports and the API are other routes
        self.assertEqual(
            self.skebby.report(self.provider._optical_report_url(), "f" * 32, "DLVRD"),
            200,
        )
        with freeze_time(fields.Datetime.now() + timedelta(seconds=retry_after + 1)):
            self.assertEqual(self.url_open("/o/guessagain01").status_code, 404)

    # -------------------------------------------------------- delivery reports
    def _sent(self, company):
        sms = self._sms(2, company=company)
        self._run_queue()
        sms.invalidate_recordset()
        self.assertEqual(set(sms.mapped("state")), {"pending"})
        return sms

    def _states(self):
        self.env.invalidate_all()
        sms = self.env["sms.sms"].search([])
        return sorted(sms.mapped(lambda s: (s.id, s.state, s.failure_type)))

    def _post(self, url, params, headers=None):
        return self.url_open(
            url,
            data=urlencode(params),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                **(headers or {}),
            },
        )

    @mute_logger(*QUIET)
    def test_skebby_reports_with_wrong_secrets(self):
        first, _second = self._sent(self.company)
        good = self.provider._optical_report_url()
        base = good.rsplit("/", 2)[0]
        secret = good.rsplit("/", 1)[1]
        params = {"order_id": first.uuid, "status": "DLVRD"}
        archived = self.provider.copy({"name": "Skebby old", "active": False})
        archived_url = archived.sudo()._optical_report_url()
        before = self._states()
        counts = self._row_counts()
        attempts = [
            f"{base}/{self.provider.id}/{secret[:-1]}",
            f"{base}/{self.provider.id}/{secret}x",
            f"{base}/{self.provider.id}/{secret.upper()}",
            f"{base}/{self.provider_twilio.id}/{secret}",
            f"{base}/999999/{secret}",
            archived_url,
        ] + [f"{base}/{self.provider.id}/{path_segment(v)}" for v in HOSTILE_URL]
        for url in attempts:
            for method in ("GET", "POST"):
                if method == "GET":
                    response = self.url_open(f"{url}?{urlencode(params)}")
                else:
                    response = self._post(url, params)
                self.assertRefused(response, (403, 404), self.secrets, url[-40:])
                self.assertNotIn(secret, response.text)
            self._clear_throttle()
        self.assertEqual(self._states(), before)
        # the right secret, malformed or hostile parameters: 400, or ignored
        for bad in (
            {"foo": "bar"},
            {"order_id": first.uuid},
            {"order_id": first.uuid, "status": HOSTILE[1]},
            {"order_id": HOSTILE[0], "status": "DLVRD"},
            {"order_id": HOSTILE[5], "status": "DLVRD"},
            {"order_id": HOSTILE[6], "status": "DLVRD"},
            {"order_id": "f" * 32, "status": "DLVRD"},
        ):
            response = self._post(good, bad)
            self.assertRefused(response, (200, 400), self.secrets, str(bad)[:40])
        # oversized bodies, with a wrong and with the right secret
        huge = {"order_id": "f" * 32, "status": "DLVRD", "pad": "x" * 3_000_000}
        for url, statuses in ((attempts[0], (403, 413)), (good, (200, 400, 413))):
            self.assertRefused(self._post(url, huge), statuses, self.secrets)
            self._clear_throttle()
        self.assertEqual(self._states(), before)
        self.assertEqual(self._row_counts(), counts)

    @mute_logger(*QUIET)
    def test_twilio_reports_with_wrong_signatures(self):
        self._clear_throttle()
        sms = self._sent(self.company_twilio)[0]
        sid = sms.optical_provider_ref
        url = self.provider_twilio._optical_report_url(sms.uuid)
        params = {
            "AccountSid": self.twilio.account_sid,
            "MessageSid": sid,
            "MessageStatus": "delivered",
            "SmsSid": sid,
            "SmsStatus": "delivered",
        }

        def sign(token, signed_url, signed_params):
            data = signed_url + "".join(
                f"{key}{signed_params[key]}" for key in sorted(signed_params)
            )
            digest = hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()
            return base64.b64encode(digest).decode()

        good = sign(self.twilio.auth_token, url, params)
        before = self._states()
        counts = self._row_counts()
        tampered = dict(params, MessageStatus="failed", SmsStatus="failed")
        attempts = [
            ("no signature", url, params, {}),
            ("empty signature", url, params, {"X-Twilio-Signature": ""}),
            (
                "forged token",
                url,
                params,
                {"X-Twilio-Signature": sign("x", url, params)},
            ),
            ("tampered body", url, tampered, {"X-Twilio-Signature": good}),
            (
                "other provider",
                url.replace(
                    f"/twilio/{self.provider_twilio.id}", f"/twilio/{self.provider.id}"
                ),
                params,
                {"X-Twilio-Signature": good},
            ),
            ("non-ASCII signature", url, params, {"X-Twilio-Signature": "é" * 28}),
            ("hostile signature", url, params, {"X-Twilio-Signature": HOSTILE[0]}),
        ]
        for label, target, body, headers in attempts:
            response = self._post(target, body, headers)
            self.assertRefused(response, (403,), self.secrets, label)
            self.assertNotIn(self.twilio.auth_token, response.text)
        self._clear_throttle()
        # Twilio only POSTs
        response = self.url_open(f"{url}&{urlencode(params)}")
        self.assertRefused(response, (405,), self.secrets)
        # signed but malformed: refused without change
        for bad in (
            {"Body": "no message"},
            {"MessageSid": HOSTILE[0], "MessageStatus": HOSTILE[1]},
            {"MessageSid": HOSTILE[5], "MessageStatus": "delivered"},
        ):
            response = self._post(
                url, bad, {"X-Twilio-Signature": sign(self.twilio.auth_token, url, bad)}
            )
            self.assertRefused(response, (200, 400), self.secrets)
        self.assertEqual(self._states(), before)
        self.assertEqual(self._row_counts(), counts)
        # the genuine report still goes through
        response = self._post(url, params, {"X-Twilio-Signature": good})
        self.assertEqual(response.status_code, 200)
        self.env["optical.sms.report"]._optical_cron_apply()  # the inbox job
        sms.invalidate_recordset()
        self.assertEqual(sms.state, "sent")

    @mute_logger(*QUIET)
    def test_report_secret_guessing_is_throttled(self):
        good = self.provider._optical_report_url()
        base = good.rsplit("/", 1)[0]
        for attempt in range(MAX_FAILURES):
            response = self._post(f"{base}/guess{attempt}", {"order_id": "x"})
            self.assertEqual(response.status_code, 403)
        response = self._post(f"{base}/guessagain", {"order_id": "x"})
        self.assertEqual(response.status_code, 429)
        self.assertTrue(int(response.headers["Retry-After"]) > 0)
        # a report with the right secret is never refused
        response = self._post(good, {"order_id": "f" * 32, "status": "DLVRD"})
        self.assertEqual(response.status_code, 200)
