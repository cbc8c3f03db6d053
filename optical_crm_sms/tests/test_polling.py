from datetime import timedelta

from odoo import fields
from odoo.tests import freeze_time, tagged

from .common import SmsProviderCase


@tagged("post_install", "-at_install")
class TestReportPolling(SmsProviderCase):
    """The scheduled action asks the provider when no report came."""

    def _poll(self, minutes):
        with freeze_time(fields.Datetime.now() + timedelta(minutes=minutes)):
            applied = self.env["sms.sms"]._optical_cron_poll()
        self.env["sms.sms"].invalidate_model()
        return applied

    def test_skebby_poll(self):
        delivered, failed, waiting = sms = self._sms(3)
        self._run_queue()
        self.skebby.set_status(delivered.uuid, "DLVRD")
        self.skebby.set_status(failed.uuid, "UNKNRCPT")
        self.assertEqual(self._poll(5), 0)  # too early: the report may still come
        self.assertEqual(self.skebby.stats()["lookups"], 0)
        self.assertEqual(self._poll(15), 2)
        self.assertEqual((delivered.state, delivered.to_delete), ("sent", True))
        self.assertEqual(
            (failed.state, failed.failure_type), ("error", "sms_invalid_destination")
        )
        self.assertEqual(waiting.state, "pending")
        self.assertTrue(waiting.optical_polled_at)
        lookups = self.skebby.stats()["lookups"]
        self.assertEqual(lookups, 3)
        self._poll(25)  # polled 10 minutes ago: not asked again
        self.assertEqual(self.skebby.stats()["lookups"], lookups)
        self.skebby.set_status(waiting.uuid, "DLVRD")
        self._poll(50)
        self.assertEqual(waiting.state, "sent")
        self.assertEqual(self.skebby.stats()["lookups"], lookups + 1)
        self.assertEqual(self.skebby.duplicates(), 0)
        self.assertEqual(len(sms.exists()), 3)

    def test_twilio_poll(self):
        sms = self._sms(1, company=self.company_twilio)
        self._run_queue()
        self.twilio.messages[sms.optical_provider_ref]["status"] = "delivered"
        self._poll(15)
        self.assertEqual(sms.state, "sent")

    def test_window_closes(self):
        sms = self._sms(1)
        self._run_queue()
        self._poll(60 * 24 * 4)
        self.assertEqual((sms.state, sms.to_delete), ("pending", True))
        self.assertEqual(self.skebby.stats()["lookups"], 0)
