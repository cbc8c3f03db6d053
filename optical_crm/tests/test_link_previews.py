"""Link previews are not clicks: chat apps (WhatsApp, Telegram, Slack, ...) and
social networks open the links of a message to show a preview, and HEAD requests
check a link without opening it. The short links of our SMS and emails (Odoo's
link tracker, ``/r/<code>``) count only the customer's click."""

from odoo.tests import HttpCase, tagged

PREVIEW_AGENTS = (
    "WhatsApp/2.23.20.0 A",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Twitterbot/1.0",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "TelegramBot (like TwitterBot)",
    "Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 (KHTML, like Gecko) Applebot/0.1",
    "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Viber/20.3",
)
BROWSER = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)


@tagged("post_install", "-at_install")
class TestLinkPreviews(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partner = cls.env["res.partner"].create(
            {"name": "Lia Anteprima", "mobile": "+393331234000"}
        )
        cls.mailing = cls.env["mailing.mailing"].create(
            {
                "subject": "Saldi",
                "mailing_type": "sms",
                "body_plaintext": "Saldi!",
                "mailing_model_id": cls.env["ir.model"]._get_id("res.partner"),
            }
        )
        cls.trace = cls.env["mailing.trace"].create(
            {
                "trace_type": "sms",
                "mass_mailing_id": cls.mailing.id,
                "model": "res.partner",
                "res_id": cls.partner.id,
                "sms_number": "+393331234000",
                "sms_code": "p1q",
                "sms_id_int": 987654,
            }
        )
        cls.link = cls.env["link.tracker"].create(
            {
                "url": "https://www.example.com/saldi",
                "title": "Saldi",
                "mass_mailing_id": cls.mailing.id,
            }
        )

    def _open(self, path, agent=BROWSER, method="GET"):
        if method == "HEAD":
            return self.opener.head(
                self.base_url() + path,
                headers={"User-Agent": agent},
                allow_redirects=False,
                timeout=10,
            )
        return self.url_open(path, headers={"User-Agent": agent}, allow_redirects=False)

    def _clicks(self):
        self.env.invalidate_all()
        return self.link.count

    def test_previews_of_short_links_are_not_clicks(self):
        code = self.link.code
        paths = (f"/r/{code}", f"/r/{code}/s/987654", f"/r/{code}/m/{self.trace.id}")
        for path in paths:
            for agent in PREVIEW_AGENTS:
                response = self._open(path, agent)
                self.assertEqual(response.status_code, 301, f"{path} {agent}")
            response = self._open(path, method="HEAD")
            self.assertEqual(response.status_code, 301)
        self.assertEqual(self._clicks(), 0)
        self.assertFalse(self.trace.links_click_datetime)
        self.assertEqual(self.trace.trace_status, "outgoing")
        # the customer's click counts, and marks the message clicked
        self._open(f"/r/{code}/s/987654")
        self.assertEqual(self._clicks(), 1)
        self.assertTrue(self.trace.links_click_datetime)
