"""Opt-outs through Odoo's public unsubscribe pages are the sending shop's.

Two shops of one chain write to the same customer. An opt-out from a message of
shop B stops shop B (consent revoked in its ledger, with source ``unsubscribe``);
shop A may still write, unless the customer asked to stop every shop (which
blacklists the number or the address). Campaign results count the opt-outs of
their own shop only. Everything goes through the real routes over HTTP.
"""

from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .public_routes_common import PublicRouteMixin

NUMBER = "+393339876543"


@tagged("post_install", "-at_install")
class TestOptOutPerShop(PublicRouteMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        italy = cls.env.ref("base.it")
        cls.shop_a = cls.env.company
        cls.shop_a.country_id = italy
        cls.shop_b = cls.env["res.company"].create(
            {"name": "Ottica Due Torri", "country_id": italy.id}
        )
        cls.env.user.company_ids |= cls.shop_b
        cls.anna = cls.env["res.partner"].create(
            {
                "name": "Anna Duenegozi",
                "mobile": NUMBER,
                "email": "anna.duenegozi@example.com",
            }
        )
        for channel in ("sms", "email"):
            for shop in cls.shop_a | cls.shop_b:
                cls.anna._optical_record_consent(
                    channel, "marketing", True, "store", company=shop
                )
        Campaign = cls.env["optical.campaign"]
        cls.campaigns = {
            (shop, channel): Campaign.with_company(shop).create(
                {
                    "name": f"Saldi {shop.name} {channel}",
                    "channel": channel,
                    "company_id": shop.id,
                }
            )
            for shop in cls.shop_a | cls.shop_b
            for channel in ("sms", "email")
        }

    def setUp(self):
        super().setUp()
        self._clear_throttle()

    def _allowed(self, channel, shop):
        self.env.invalidate_all()
        return self.anna._optical_contact_allowed(channel, "marketing", company=shop)

    def _sms_trace(self, shop, code="b7q"):
        mailing = self.campaigns[shop, "sms"].mailing_id
        self.assertEqual(mailing._optical_sending_company(), shop)
        self.env["mailing.trace"].create(
            {
                "trace_type": "sms",
                "mass_mailing_id": mailing.id,
                "model": "res.partner",
                "res_id": self.anna.id,
                "sms_number": NUMBER,
                "sms_code": code,
            }
        )
        return mailing

    def _revocations(self, channel):
        return self.env["optical.consent"].search(
            [
                ("partner_id", "=", self.anna.id),
                ("channel", "=", channel),
                ("granted", "=", False),
            ]
        )

    def test_sms_opt_out_page_stops_the_sending_shop_only(self):
        mailing = self._sms_trace(self.shop_b)
        page = self.url_open(f"/sms/{mailing.id}/b7q")
        self.assertEqual(page.status_code, 200)
        self.assertIn("Ottica Due Torri", page.text)
        self.assertIn('name="optical_all_shops"', page.text)
        response = self.url_open(
            f"/sms/{mailing.id}/unsubscribe/b7q?sms_number=%2B393339876543"
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("Ottica Due Torri", response.text)
        self.assertEqual(self._allowed("sms", self.shop_b), (False, "consent_revoked"))
        self.assertEqual(self._allowed("sms", self.shop_a), (True, ""))
        self.assertFalse(self.anna.phone_sanitized_blacklisted)
        revoked = self._revocations("sms")
        self.assertEqual(
            (revoked.company_id, revoked.source, revoked.purpose),
            (self.shop_b, "unsubscribe", "marketing"),
        )
        # the email channel is another consent
        self.assertEqual(self._allowed("email", self.shop_b), (True, ""))

    def test_sms_opt_out_page_can_stop_every_shop(self):
        mailing = self._sms_trace(self.shop_b)
        response = self.url_open(
            f"/sms/{mailing.id}/unsubscribe/b7q?sms_number=%2B393339876543"
            "&optical_all_shops=1"
        )
        self.assertEqual(response.status_code, 200)
        self.assertFalse(self._allowed("sms", self.shop_b)[0])
        self.assertFalse(self._allowed("sms", self.shop_a)[0])
        self.assertTrue(self.anna.phone_sanitized_blacklisted)
        revoked = self._revocations("sms")
        self.assertEqual(
            (revoked.company_id, revoked.source),
            (self.env["res.company"], "unsubscribe"),
        )

    def test_sms_opt_out_with_another_number_writes_nothing(self):
        mailing = self._sms_trace(self.shop_b)
        before = self._row_counts()
        response = self.url_open(
            f"/sms/{mailing.id}/unsubscribe/b7q?sms_number=%2B393330000000"
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("not found", response.text)
        self.assertEqual(self._row_counts(), before)

    def test_email_unsubscribe_stops_the_sending_shop_only(self):
        mailing = self.campaigns[self.shop_b, "email"].mailing_id
        email = self.anna.email
        token = mailing._generate_mailing_recipient_token(self.anna.id, email)
        url = (
            f"/mailing/{mailing.id}/unsubscribe?document_id={self.anna.id}"
            f"&email={email}&hash_token={token}"
        )
        # link previews and scanners opening the link do not unsubscribe
        preview = self.url_open(url, headers={"User-Agent": "Slackbot 1.0"})
        self.assertEqual(preview.status_code, 200)
        head = self.opener.head(self.base_url() + url, timeout=10)
        self.assertEqual(head.status_code, 200)
        self.assertFalse(self._revocations("email"))
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        self.assertIn("Ottica Due Torri", response.text)
        self.assertEqual(
            self._allowed("email", self.shop_b), (False, "consent_revoked")
        )
        self.assertEqual(self._allowed("email", self.shop_a), (True, ""))
        self.assertFalse(
            self.env["mail.blacklist"].search([("email", "=", self.anna.email)])
        )
        revoked = self._revocations("email")
        self.assertEqual(
            (revoked.company_id, revoked.source), (self.shop_b, "unsubscribe")
        )
        # "Exclude Me" (Odoo's blocklist) stops every shop
        response = self.make_jsonrpc_request(
            "/mailing/blocklist/add",
            {
                "mailing_id": mailing.id,
                "document_id": self.anna.id,
                "email": email,
                "hash_token": token,
            },
        )
        self.assertTrue(response)
        self.assertFalse(self._allowed("email", self.shop_a)[0])

    @mute_logger("odoo.addons.optical_crm.models.optical_public_throttle")
    def test_campaign_results_count_opt_outs_of_their_shop(self):
        sent_at = fields.Datetime.now() - timedelta(hours=1)
        for shop in self.shop_a | self.shop_b:
            self.env["optical.campaign.recipient"].create(
                {
                    "campaign_id": self.campaigns[shop, "sms"].id,
                    "partner_id": self.anna.id,
                    "company_id": shop.id,
                    "state": "sent",
                    "sent_datetime": sent_at,
                }
            )
        mailing = self._sms_trace(self.shop_b)
        self.url_open(f"/sms/{mailing.id}/unsubscribe/b7q?sms_number=%2B393339876543")
        campaign_a = self.campaigns[self.shop_a, "sms"]
        campaign_b = self.campaigns[self.shop_b, "sms"]
        (campaign_a | campaign_b)._optical_compute_results()
        self.assertEqual(campaign_b.opted_out_count, 1)
        self.assertEqual(campaign_a.opted_out_count, 0)
