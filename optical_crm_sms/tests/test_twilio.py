from odoo.tests import tagged

from .common import SmsProviderCase


@tagged("post_install", "-at_install")
class TestTwilioSending(SmsProviderCase):
    """One Messages API request per recipient, looked up before any resend."""

    def test_send_with_status_callback(self):
        sms = self._sms(3, company=self.company_twilio)
        self._run_queue()
        self.assertEqual(set(sms.mapped("state")), {"pending"})
        self.assertEqual(self.twilio.stats()["accepted"], 3)
        for message in sms:
            [sid] = self.twilio.keys_for(message.number)
            sent = self.twilio.messages[sid]
            self.assertEqual(message.optical_provider_ref, sid)
            self.assertEqual(message.optical_provider_id, self.provider_twilio)
            self.assertEqual((sent["from"], sent["body"]), ("OtticaTw", message.body))
            self.assertTrue(
                sent["status_callback"].endswith(
                    f"/optical_sms/dlr/twilio/{self.provider_twilio.id}?ref={message.uuid}"
                )
            )
        # the Skebby company's messages never reach Twilio and vice versa
        self.assertEqual(self.skebby.stats()["send_requests"], 0)

    def test_faults_looked_up_no_duplicate(self):
        sms = self._sms(6, company=self.company_twilio)
        self.provider_twilio.parallel_requests = 1
        self.twilio.script("500", "reset", "accept_timeout", "malformed", "503")
        self._drain()
        self.assertEqual(set(sms.mapped("state")), {"pending"})
        for message in sms:
            self.assertEqual(
                len(self.twilio.keys_for(message.number)), 1, message.number
            )
        self.assertEqual(self.twilio.duplicates(), 0)
        self.assertGreaterEqual(self.twilio.stats()["lookups"], 4)
        self.assertEqual(
            set(sms.mapped("optical_provider_ref")), set(self.twilio.accepted)
        )

    def test_refusals_mapped_to_failure_types(self):
        sms = self._sms(4, company=self.company_twilio)
        for message, rule in zip(
            sms, ["landline", "blocked", "invalid", None], strict=True
        ):
            if rule:
                self.twilio.numbers[message.number] = rule
        self._run_queue()
        self.assertEqual(
            sms.mapped("failure_type"),
            ["optical_not_mobile", "optical_blocked", "sms_number_format", False],
        )
        self.assertIn("21614", sms[0].optical_failure_reason)
        self.assertEqual(sms[3].state, "pending")

    def test_wrong_token(self):
        sms = self._sms(1, company=self.company_twilio)
        self.provider_twilio.auth_token = "nope"
        self._run_queue()
        self.assertEqual((sms.state, sms.failure_type), ("error", "sms_acc"))
