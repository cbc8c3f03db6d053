import datetime as dt

from odoo.tests import tagged

from odoo.addons.mass_mailing_sms.tests.common import MassSMSCase

from .tour_screenshots import TourScreenshotMixin


@tagged("post_install", "-at_install")
class TestCampaignTour(TourScreenshotMixin, MassSMSCase):
    def test_campaign_from_template(self):
        self.env["res.lang"]._activate_lang("it_IT")
        self.env.company.country_id = self.env.ref("base.it")
        today = dt.date.today()
        # the tour counts its own audience: the demo shop's customers step aside
        self.env["res.partner"].search(
            [("optical_birthdate", "!=", False)]
        ).action_archive()
        kids = self.env["res.partner"].create(
            [
                {
                    "name": name,
                    "mobile": mobile,
                    "lang": "it_IT",
                    "optical_birthdate": today.replace(year=today.year - age),
                }
                for name, mobile, age in (
                    ("Giulia Tour", "+39 340 555 0001", 9),
                    ("Marco Tour", "+39 340 555 0002", 15),
                    ("Nina Tour", "+39 340 555 0003", 12),
                )
            ]
        )
        kids[:2]._optical_record_consent("sms", "marketing", True, "store")
        with self.mockSMSGateway():
            self.start_tour(
                "/odoo/action-optical_crm.optical_campaign_template_action",
                "optical_campaign_tour",
                login="admin",
            )
        self.assertSMSIapSent(
            ["+393405550101"], content="Ciao Giulia, si torna a scuola!"
        )
        campaign = self.env["optical.campaign"].search(
            [("template_id", "!=", False)], order="id desc", limit=1
        )
        self.assertEqual(campaign.state, "scheduled")
        self.assertFalse(campaign.recipient_ids, "nothing is sent before its time")
        self.assertTrue(any("Test sent" in m.body for m in campaign.message_ids))
