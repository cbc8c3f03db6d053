import re
from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged

from .common import SmsProviderMixin

TOKEN_RE = re.compile(r"/o/([A-Za-z0-9_-]{12})(?![\w-])")
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@tagged("post_install", "-at_install")
class TestLandingPage(SmsProviderMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_providers()
        cls.shop_user = cls.env.ref("base.user_admin")
        cls.landing = cls.env["optical.landing.page"].create(
            {
                "name": "Occhiali da sole -20%",
                "offer_text": "Solo per te fino a fine mese.",
                "validity_days": 10,
                "user_id": cls.shop_user.id,
            }
        )
        cls.maria, cls.luca = cls.env["res.partner"].create(
            [
                {
                    "name": "Maria Bianchi",
                    "mobile": "+393471112233",
                    "email": "maria@example.com",
                },
                {"name": "Luca Verdi", "mobile": "+393471112244"},
            ]
        )

    def setUp(self):
        super().setUp()
        self._reset_fakes()
        self.env["ir.config_parameter"].sudo().set_param(
            "web.base.url", self.base_url()
        )

    def _send(self, partners):
        mailing = self.landing._create_sms_mailing(
            "Ciao {{ object.name }}, la tua offerta:",
            mailing_domain=[("id", "in", partners.ids)],
        )
        mailing.action_send_sms()
        sms = self.env["sms.sms"].search([("mailing_id", "=", mailing.id)])
        self._run_queue()
        return mailing, sms

    def _token(self, sms):
        return TOKEN_RE.search(sms.body).group(1)

    def test_each_recipient_gets_a_personal_hashed_link(self):
        self.env["phone.blacklist"].sudo().add(self.luca.mobile)
        mailing, sms = self._send(self.maria | self.luca)
        sent = sms.filtered(lambda s: s.state == "pending")
        self.assertEqual(sent.partner_id, self.maria)
        token = self._token(sent)
        self.assertIn(f"{self.base_url()}/o/{token}", sent.body)
        self.assertIn("STOP SMS", sent.body)  # marketing: opt-out link
        self.assertEqual(self.skebby.messages[sent.uuid]["message"], sent.body)
        links = self.env["optical.landing.token"].search(
            [("mailing_id", "=", mailing.id)]
        )
        self.assertEqual(
            links.partner_id, self.maria
        )  # no link for the blacklisted one
        self.assertNotEqual(links.token_hash, token)
        self.assertNotIn(token, links.token_hash)
        self.assertEqual(self.env["optical.landing.token"]._find(token), links)
        self.assertAlmostEqual(
            links.expiry,
            fields.Datetime.now() + timedelta(days=10),
            delta=timedelta(minutes=5),
        )

    def test_public_page_visit_booking_and_opt_out(self):
        _mailing, sms = self._send(self.maria)
        token = self._token(sms)
        Touchpoint = self.env["optical.touchpoint"]
        response = self.url_open(f"/o/{token}")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["X-Robots-Tag"], "noindex, nofollow")
        self.assertEqual(response.headers["Referrer-Policy"], "no-referrer")
        self.assertIn("no-store", response.headers["Cache-Control"])
        page = response.text
        self.assertIn("Maria", page)
        self.assertNotIn("Bianchi", page)
        self.assertNotIn("maria@example.com", page)
        self.assertNotIn("3471112233", page)
        self.assertIn("Occhiali da sole -20%", page)
        self.assertIn('name="viewport"', page)
        # GET only records the visit, once a day
        self.url_open(f"/o/{token}")
        visits = Touchpoint.search(
            [("partner_id", "=", self.maria.id), ("kind", "=", "visit")]
        )
        self.assertEqual(len(visits), 1)
        self.assertEqual((visits.channel, visits.source), ("sms", "sms_landing"))
        self.assertFalse(self.maria.activity_ids)
        self.assertEqual(self.landing.visit_count, 1)
        csrf = CSRF_RE.search(page).group(1)
        # the form is CSRF protected
        response = self.url_open(f"/o/{token}/book", data={"slot": "morning"})
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self.maria.activity_ids)
        day = fields.Date.today() + timedelta(days=2)
        response = self.url_open(
            f"/o/{token}/book",
            data={"csrf_token": csrf, "slot": "morning", "day": day.isoformat()},
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("Maria", response.text)
        self.env.invalidate_all()
        activity = self.maria.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.shop_user)
        self.assertEqual(
            activity.activity_type_id, self.env.ref("mail.mail_activity_data_call")
        )
        self.assertIn(day.isoformat(), str(activity.note))
        bookings = Touchpoint.search(
            [("partner_id", "=", self.maria.id), ("kind", "=", "booking")]
        )
        self.assertEqual(len(bookings), 1)
        # booking twice does not create a second activity
        self.url_open(f"/o/{token}/book", data={"csrf_token": csrf, "slot": "any"})
        self.env.invalidate_all()
        self.assertEqual(len(self.maria.activity_ids), 1)
        self.assertEqual(self.landing.booking_count, 1)
        # opt-out: consent revoked, link revoked
        response = self.url_open(f"/o/{token}/optout", data={"csrf_token": csrf})
        self.assertEqual(response.status_code, 200)
        self.env.invalidate_all()
        consent = self.env["optical.consent"].search(
            [("partner_id", "=", self.maria.id), ("channel", "=", "sms")]
        )
        self.assertEqual(len(consent), 1)
        self.assertEqual(
            (consent.purpose, consent.granted, consent.source),
            ("marketing", False, "unsubscribe"),
        )
        self.assertEqual(self.url_open(f"/o/{token}").status_code, 404)

    def test_booking_from_a_campaign_message_counts_in_its_results(self):
        campaign = self.env["optical.campaign"].create(
            {
                "name": "Controllo della vista",
                "channel": "sms",
                "date_start": fields.Date.today(),
                "date_end": fields.Date.today() + timedelta(days=7),
                "sms_body": "Ciao, controllo gratuito",
            }
        )
        mailing = campaign.mailing_id
        mailing.write(
            {
                "optical_landing_page_id": self.landing.id,
                "body_plaintext": "Ciao, controllo gratuito",
            }
        )
        mailing.action_send_sms(res_ids=self.maria.ids)
        sms = self.env["sms.sms"].search([("mailing_id", "=", mailing.id)])
        self._run_queue()
        token = self._token(sms)
        page = self.url_open(f"/o/{token}").text
        # opening the page is a click on the message's link
        trace = sms.mailing_trace_ids
        self.assertTrue(trace.links_click_datetime)
        self.assertEqual(trace.trace_status, "open")
        response = self.url_open(
            f"/o/{token}/book",
            data={"csrf_token": CSRF_RE.search(page).group(1), "slot": "any"},
        )
        self.assertEqual(response.status_code, 200)
        self.env.invalidate_all()
        bookings = self.env["optical.touchpoint"].search(
            [("partner_id", "=", self.maria.id), ("kind", "=", "booking")]
        )
        self.assertEqual(len(bookings), 1)
        self.assertEqual(
            (bookings.res_model, bookings.res_id), (campaign._name, campaign.id)
        )
        self.assertEqual(self.landing.booking_count, 1)
        campaign._optical_compute_results()
        self.assertEqual(campaign.booked_count, 1)

    def test_invalid_and_expired_links(self):
        _mailing, sms = self._send(self.maria)
        token = self._token(sms)
        self.assertEqual(self.url_open("/o/AAAAAAAAAAAA").status_code, 404)
        link = self.env["optical.landing.token"]._find(token)
        link.expiry = fields.Datetime.now() - timedelta(minutes=1)
        self.env.flush_all()
        response = self.url_open(f"/o/{token}")
        self.assertEqual(response.status_code, 404)
        self.assertEqual(response.headers["X-Robots-Tag"], "noindex, nofollow")
        self.assertFalse(
            self.env["optical.touchpoint"].search([("partner_id", "=", self.maria.id)])
        )

    def test_consent_revoked_in_the_shop_revokes_links(self):
        _mailing, sms = self._send(self.maria)
        token = self._token(sms)
        self.env["optical.consent"].create(
            {
                "partner_id": self.maria.id,
                "channel": "sms",
                "purpose": "marketing",
                "granted": False,
            }
        )
        self.assertFalse(self.env["optical.landing.token"]._find(token))
