import re
from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tests import Form, HttpCase, tagged

from .common import SmsProviderMixin

LINK_RE = re.compile(r"https?://\S+/o/([A-Za-z0-9_-]{12})(?![\w-])")
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@tagged("post_install", "-at_install")
class TestCampaignLanding(SmsProviderMixin, HttpCase):
    """Campaigns on the channel "SMS with landing page", sent through the fake
    Skebby-style provider, booked and opted out through the public pages."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_providers()
        # send at any hour of any day: the test does not depend on the clock
        calendar = cls.env["resource.calendar"].create(
            {
                "name": "Always",
                "tz": "UTC",
                "company_id": cls.company.id,
                "attendance_ids": [Command.clear()]
                + [
                    Command.create(
                        {
                            "name": day,
                            "dayofweek": day,
                            "hour_from": 0.0,
                            "hour_to": 24.0,
                        }
                    )
                    for day in "0123456"
                ],
            }
        )
        cls.company.write(
            {
                "name": "Ottica Sole",
                "optical_send_calendar_id": calendar.id,
                "optical_skip_public_holidays": False,
                "optical_cap_count": 0,
                "optical_hourly_limit": 0,
            }
        )
        cls.anna, cls.bruno, cls.carla = cls.env["res.partner"].create(
            [
                {"name": "Anna Rossi", "mobile": "+393471000001"},
                {"name": "Bruno Bianchi", "mobile": "+393471000002"},
                {"name": "Carla Verdi", "mobile": "+393471000003"},
            ]
        )
        cls.customers = cls.anna | cls.bruno | cls.carla
        cls.customers._optical_record_consent(
            "sms", "marketing", True, "store", company=cls.company
        )
        cls.segment = cls.env["optical.segment"].create(
            {"name": "Clienti", "domain": repr([("id", "in", cls.customers.ids)])}
        )
        cls.landing = cls.env["optical.landing.page"].create(
            {
                "name": "Occhiali da sole -20%",
                "offer_text": "Solo per te fino a fine mese.",
                "validity_days": 15,
            }
        )

    def setUp(self):
        super().setUp()
        self._reset_fakes()
        self.env["ir.config_parameter"].sudo().set_param(
            "web.base.url", self.base_url()
        )

    def _new_campaign(
        self, body="Ciao {{ object.optical_first_name }}, ti aspettiamo!"
    ):
        # the shop's day (its calendar is in UTC), not the user's: between 23:00
        # and midnight UTC the user's day in Rome is already tomorrow
        today = fields.Date.today()
        with Form(self.env["optical.campaign"]) as form:
            form.name = "Estate"
            form.channel = "sms_landing"
            form.landing_page_id = self.landing
            form.segment_id = self.segment
            form.date_start = today
            form.date_end = today + timedelta(days=10)
            form.sms_body = body
        return form.record

    def _links(self):
        """``{token: [SMS body received by the fake, ...]}``."""
        links = {}
        for message in self.skebby.messages.values():
            for token in LINK_RE.findall(message["message"]):
                links.setdefault(token, []).append(message)
        return links

    def test_channel_is_part_of_the_model(self):
        channels = dict(
            self.env["optical.campaign"]
            ._fields["channel"]
            ._description_selection(self.env)
        )
        self.assertEqual(channels["sms_landing"], "SMS with landing page")
        campaign = self._new_campaign()
        self.assertEqual(campaign.message_kind, "sms")
        self.assertEqual(campaign.mailing_id.mailing_type, "sms")
        self.assertEqual(campaign.mailing_id.optical_landing_page_id, self.landing)
        self.assertEqual(campaign._optical_policy_channel(), "sms")
        # another channel: the mailing no longer carries the landing page
        campaign.channel = "sms"
        self.assertFalse(campaign.mailing_id.optical_landing_page_id)

    def test_missing_landing_page(self):
        today = fields.Date.context_today(self.env.user)
        form = Form(self.env["optical.campaign"])
        form.name = "Senza pagina"
        form.channel = "sms_landing"
        form.segment_id = self.segment
        form.sms_body = "Ciao!"
        with self.assertRaises(AssertionError):  # required in the form
            form.save()
        campaign = self.env["optical.campaign"].create(
            {
                "name": "Senza pagina",
                "channel": "sms_landing",
                "segment_id": self.segment.id,
                "date_start": today,
                "date_end": today + timedelta(days=10),
                "sms_body": "Ciao!",
            }
        )
        preview = self.env["optical.campaign.preview"].browse(
            campaign.action_preview()["res_id"]
        )
        self.assertIn("Choose the landing page of campaign", preview.problems)
        with self.assertRaisesRegex(UserError, "Choose the landing page of campaign"):
            campaign.action_schedule()
        self.assertEqual(campaign.state, "draft")
        self.assertFalse(self.env["sms.sms"].search([("body", "like", "Ciao!")]))

    def test_preview_counts_the_landing_link(self):
        campaign = self._new_campaign()
        [(anna, _subject, body)] = campaign._optical_render_samples(self.anna)
        self.assertEqual(body, "Ciao Anna, ti aspettiamo!")
        as_sent = campaign._optical_sms_text_as_sent(body)
        self.assertIn("/o/", as_sent)
        # pad the text to fill one SMS without the link (Bruno and Carla have one
        # letter more than Anna): the link makes it two
        without_link = len(as_sent) - len(
            campaign.mailing_id.get_sms_link_replacements_placeholders()["landing"]
        )
        campaign.sms_body += "x" * (159 - without_link)
        preview = self.env["optical.campaign.preview"].browse(
            campaign.action_preview()["res_id"]
        )
        self.assertEqual(preview.landing_page_id, self.landing)
        self.assertFalse(preview.problems)
        self.assertEqual(preview.message_count, 3)
        self.assertEqual(preview.sms_segments, 2)
        self.assertEqual(set(preview.sample_ids.mapped("sms_segments")), {2})
        self.assertAlmostEqual(preview.sms_cost, 2 * 3 * 0.045)
        # the same text on the plain SMS channel fits in one part
        campaign.channel = "sms"
        preview.action_refresh()
        self.assertEqual(preview.sms_segments, 1)

    def test_send_book_and_opt_out(self):
        campaign = self._new_campaign()
        campaign.action_schedule()
        self.assertEqual(campaign.state, "running")
        self.env["optical.campaign"]._cron_send()
        self._run_queue()
        self.env["optical.campaign"]._cron_send()
        self.assertEqual(campaign.state, "done")
        sms = self.env["sms.sms"].search([("mailing_id", "=", campaign.mailing_id.id)])
        self.assertEqual(sms.partner_id, self.customers)
        self.assertEqual(set(sms.mapped("state")), {"pending"})
        self.assertEqual(sms.optical_provider_id, self.provider)
        # the fake received one SMS per customer, each with its own link, once
        self.assertEqual(self.skebby.stats()["duplicates"], 0)
        self.assertEqual(len(self.skebby.messages), 3)
        links = self._links()
        self.assertEqual(len(links), 3)
        self.assertEqual({len(messages) for messages in links.values()}, {1})
        Token = self.env["optical.landing.token"]
        by_partner = {}
        for token, [message] in links.items():
            link = Token._find(token)
            self.assertEqual(link.landing_page_id, self.landing)
            self.assertEqual(link.mailing_id, campaign.mailing_id)
            self.assertEqual(message["recipient"][-12:], link.partner_id.mobile[-12:])
            self.assertNotIn(token, link.token_hash)
            by_partner[link.partner_id] = token
        self.assertEqual(set(by_partner), set(self.customers))
        for message in self.skebby.messages.values():
            self.assertIn("STOP SMS", message["message"])  # opt-out link too
            self.assertNotIn("Rossi", message["message"])  # first name only
        self.assertEqual(
            Token.search([("mailing_id", "=", campaign.mailing_id.id)])
            .mapped("expiry")[0]
            .date(),
            (fields.Datetime.now() + timedelta(days=15)).date(),
        )
        campaign.action_refresh_results()
        self.assertEqual((campaign.sent_count, campaign.booked_count), (3, 0))

        # Anna books a visit from her page: the campaign counts it
        token = by_partner[self.anna]
        page = self.url_open(f"/o/{token}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("Anna", page.text)
        self.assertNotIn("Rossi", page.text)
        csrf = CSRF_RE.search(page.text).group(1)
        response = self.url_open(
            f"/o/{token}/book", data={"csrf_token": csrf, "slot": "morning"}
        )
        self.assertEqual(response.status_code, 200)
        self.url_open(f"/o/{token}/book", data={"csrf_token": csrf, "slot": "any"})
        self.env.invalidate_all()
        campaign.action_refresh_results()
        self.assertEqual(campaign.booked_count, 1)
        self.assertEqual(self.landing.booking_count, 1)
        bookings = self.env["optical.touchpoint"].search(
            [("partner_id", "=", self.anna.id), ("kind", "=", "booking")]
        )
        self.assertEqual(len(bookings), 1, "one booking, counted once")
        self.assertEqual(
            (bookings.res_model, bookings.res_id), ("optical.campaign", campaign.id)
        )
        self.assertEqual(len(self.anna.activity_ids), 1)

        # Bruno opts out from his page: consent revoked, his link revoked
        token = by_partner[self.bruno]
        page = self.url_open(f"/o/{token}")
        csrf = CSRF_RE.search(page.text).group(1)
        response = self.url_open(f"/o/{token}/optout", data={"csrf_token": csrf})
        self.assertEqual(response.status_code, 200)
        self.env.invalidate_all()
        consent = self.env["optical.consent"].search(
            [("partner_id", "=", self.bruno.id), ("granted", "=", False)]
        )
        self.assertEqual(
            (consent.channel, consent.purpose, consent.source),
            ("sms", "marketing", "unsubscribe"),
        )
        self.assertFalse(Token._find(token))
        self.assertEqual(self.url_open(f"/o/{token}").status_code, 404)
        campaign.action_refresh_results()
        self.assertEqual((campaign.opted_out_count, campaign.booked_count), (1, 1))
        # and a later campaign leaves him out
        _partners, screen = self._new_campaign()._optical_audience()
        self.assertEqual(screen[self.bruno.id], "consent_revoked")
