from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged

from .common import SmsProviderMixin


@tagged("post_install", "-at_install")
class TestCampaignTestSend(SmsProviderMixin, HttpCase):
    """The test SMS of a campaign, sent from the preview through the shop's own
    provider: the user reads what the provider answered, in the same click."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_providers()
        anna = cls.env["res.partner"].create(
            {"name": "Anna Rossi", "mobile": "+393471000001"}
        )
        anna._optical_record_consent(
            "sms", "marketing", True, "store", company=cls.company
        )
        today = fields.Date.context_today(cls.env.user)
        cls.campaign = cls.env["optical.campaign"].create(
            {
                "name": "Estate",
                "channel": "sms",
                "segment_id": cls.env["optical.segment"]
                .create({"name": "Anna", "domain": repr([("id", "=", anna.id)])})
                .id,
                "date_start": today,
                "date_end": today + timedelta(days=10),
                "sms_body": "Ciao {{ object.optical_first_name }}, ti aspettiamo!",
                "company_id": cls.company.id,
            }
        )

    def setUp(self):
        super().setUp()
        self._reset_fakes()
        self.authenticate("admin", "admin")

    def _test_send(self, number):
        """Click "Send a test" in the preview, as the web client does."""
        preview = self.env["optical.campaign.preview"].browse(
            self.campaign.action_preview()["res_id"]
        )
        preview.test_recipient = number
        self.env.flush_all()
        self.make_jsonrpc_request(
            "/web/dataset/call_button",
            {
                "model": "optical.campaign.preview",
                "method": "action_test_send",
                "args": [preview.ids],
                "kwargs": {"context": {"allowed_company_ids": self.company.ids}},
            },
        )
        self.env.invalidate_all()
        return preview.test_result, self.env["sms.sms"].sudo().search(
            [("number", "=", number)]
        )

    def test_refused_by_the_provider(self):
        self.skebby.numbers["+393339990001"] = "blocked"
        result, sms = self._test_send("+393339990001")
        self.assertEqual(self.skebby.send_requests, 1)
        self.assertFalse(self.skebby.accepted)
        self.assertIn("could not be sent", result)
        self.assertIn("Skebby refused it", result)
        self.assertIn("BLACKLISTED", result, "the provider's own reason")
        self.assertEqual(sms.state, "error")
        self.assertIn(result, self.campaign.message_ids.mapped("preview"))

    def test_accepted_by_the_provider(self):
        result, sms = self._test_send("+393339990002")
        self.assertEqual(len(self.skebby.accepted), 1)
        self.assertEqual(
            self.skebby.messages[self.skebby.accepted[0]]["recipient"],
            "+393339990002",
        )
        self.assertEqual(result, "Test sent to +393339990002 (accepted by Skebby).")
        self.assertEqual(sms.state, "pending")

    def test_provider_unavailable(self):
        self.skebby.script("503")
        result, sms = self._test_send("+393339990003")
        self.assertFalse(self.skebby.accepted)
        self.assertIn("could not take it now", result)
        self.assertIn("503", result)
        self.assertEqual(sms.state, "outgoing")
