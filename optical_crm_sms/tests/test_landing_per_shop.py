"""The landing page of a message stops the shop that sent it, and link previews
are not the customer's visit.

Two shops of one chain send landing-page SMS to the same customer. An opt-out on
shop B's page revokes SMS marketing consent for shop B and revokes shop B's links;
shop A may still write (and its links keep working) unless the customer ticks
"every other shop of the chain". Over HTTP, through the real routes.
"""

import re

from odoo.tests import HttpCase, tagged

from .common import SmsProviderMixin

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
WHATSAPP = "WhatsApp/2.23.20.0 A"


@tagged("post_install", "-at_install")
class TestLandingPerShop(SmsProviderMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_providers()
        cls.shop_a, cls.shop_b = cls.company, cls.company_twilio
        cls.shop_b.name = "Ottica Due Torri"
        cls.env.ref("base.user_admin").company_ids |= cls.shop_b
        Page = cls.env["optical.landing.page"]
        cls.pages = {
            shop: Page.with_company(shop).create(
                {
                    "name": f"Offerta {shop.name}",
                    "offer_text": "Solo per te.",
                    "company_id": shop.id,
                    "user_id": cls.env.ref("base.user_admin").id,
                }
            )
            for shop in cls.shop_a | cls.shop_b
        }
        cls.maria = cls.env["res.partner"].create(
            {"name": "Maria Duenegozi", "mobile": "+393471119988"}
        )
        for shop in cls.shop_a | cls.shop_b:
            cls.maria._optical_record_consent(
                "sms", "marketing", True, "store", company=shop
            )

    def setUp(self):
        super().setUp()
        self.env["ir.config_parameter"].sudo().set_param(
            "web.base.url", self.base_url()
        )
        self.env["optical.public.throttle"].sudo().search([]).unlink()

    def _link(self, shop):
        page = self.pages[shop]
        mailing = page.with_company(shop)._create_sms_mailing("Ciao {{ object.name }}")
        self.assertEqual(mailing._optical_sending_company(), shop)
        urls, links = self.env["optical.landing.token"]._issue(
            page, mailing, {self.maria.id: self.maria}
        )
        return urls[self.maria.id].rsplit("/", 1)[1], links

    def _allowed(self, shop):
        self.env.invalidate_all()
        return self.maria._optical_contact_allowed("sms", "marketing", company=shop)

    def _opt_out(self, token, **data):
        page = self.url_open(f"/o/{token}")
        self.assertEqual(page.status_code, 200)
        csrf = CSRF_RE.search(page.text).group(1)
        return self.url_open(f"/o/{token}/optout", data={"csrf_token": csrf, **data})

    def test_opt_out_on_a_shop_page_stops_that_shop_only(self):
        token_a, _link_a = self._link(self.shop_a)
        token_b, _link_b = self._link(self.shop_b)
        self.assertIn('name="all_shops"', self.url_open(f"/o/{token_b}").text)
        response = self._opt_out(token_b)
        self.assertEqual(response.status_code, 200)
        self.assertIn("Ottica Due Torri", response.text)
        self.assertEqual(self._allowed(self.shop_b), (False, "consent_revoked"))
        self.assertEqual(self._allowed(self.shop_a), (True, ""))
        revoked = self.env["optical.consent"].search(
            [("partner_id", "=", self.maria.id), ("granted", "=", False)]
        )
        self.assertEqual(
            (revoked.company_id, revoked.channel, revoked.purpose, revoked.source),
            (self.shop_b, "sms", "marketing", "unsubscribe"),
        )
        # shop B's link is gone, shop A's still works
        self.assertEqual(self.url_open(f"/o/{token_b}").status_code, 404)
        self.assertEqual(self.url_open(f"/o/{token_a}").status_code, 200)

    def test_opt_out_for_every_shop_of_the_chain(self):
        token_a, _link_a = self._link(self.shop_a)
        token_b, _link_b = self._link(self.shop_b)
        response = self._opt_out(token_b, all_shops="1")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self._allowed(self.shop_b), (False, "consent_revoked"))
        self.assertEqual(self._allowed(self.shop_a), (False, "consent_revoked"))
        revoked = self.env["optical.consent"].search(
            [("partner_id", "=", self.maria.id), ("granted", "=", False)]
        )
        self.assertEqual(
            (revoked.company_id, revoked.source),
            (self.env["res.company"], "unsubscribe"),
        )
        self.assertEqual(self.url_open(f"/o/{token_a}").status_code, 404)

    def test_consent_revoked_in_one_shop_keeps_the_other_shops_links(self):
        token_a, _link_a = self._link(self.shop_a)
        token_b, _link_b = self._link(self.shop_b)
        self.maria._optical_record_consent(
            "sms", "marketing", False, "store", company=self.shop_a
        )
        self.assertEqual(self.url_open(f"/o/{token_a}").status_code, 404)
        self.assertEqual(self.url_open(f"/o/{token_b}").status_code, 200)

    def test_link_previews_are_not_visits(self):
        token, link = self._link(self.shop_b)
        Touchpoint = self.env["optical.touchpoint"]
        visits = [("partner_id", "=", self.maria.id), ("kind", "=", "visit")]
        response = self.url_open(f"/o/{token}", headers={"User-Agent": WHATSAPP})
        self.assertEqual(response.status_code, 200)  # the preview shows the page
        head = self.opener.head(f"{self.base_url()}/o/{token}", timeout=10)
        self.assertEqual(head.status_code, 200)
        self.assertFalse(Touchpoint.search(visits))
        self.assertFalse(link.revoked)
        # the customer opening it is the visit
        self.url_open(f"/o/{token}")
        self.assertEqual(len(Touchpoint.search(visits)), 1)
