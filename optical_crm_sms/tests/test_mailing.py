from odoo.tests import tagged

from .common import SmsProviderCase


@tagged("post_install", "-at_install")
class TestOdooSmsThroughProvider(SmsProviderCase):
    """The SMS composer and SMS Marketing send through the company's provider."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partners = cls.env["res.partner"].create(
            [{"name": f"Cliente {i}", "mobile": f"347 000 00{i:02d}"} for i in range(3)]
        )

    def test_sms_marketing_with_forced_opt_out(self):
        mailing = self.env["mailing.mailing"].create(
            {
                "subject": "Promo",
                "mailing_type": "sms",
                "body_plaintext": "Promo lenti a contatto",
                "sms_allow_unsubscribe": False,
                "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
                "mailing_domain": [("id", "in", self.partners.ids)],
            }
        )
        self.assertTrue(mailing.optical_opt_out_forced)
        mailing.action_send_sms()
        self._run_queue()
        traces = mailing.mailing_trace_ids
        self.assertEqual(len(traces), 3)
        self.assertEqual(set(traces.mapped("trace_status")), {"pending"})
        bodies = [m["message"] for m in self.skebby.messages.values()]
        self.assertEqual(len(bodies), 3)
        for body in bodies:
            self.assertTrue(body.startswith("Promo lenti a contatto\nSTOP SMS: "))
            self.assertIn(f"/sms/{mailing.id}/", body)
        recipients = {m["recipient"] for m in self.skebby.messages.values()}
        self.assertEqual(
            recipients, {"+393470000000", "+393470000001", "+393470000002"}
        )

    def test_opt_out_not_forced_with_a_number_sender(self):
        self.provider.sender = "+393331234567"
        mailing = self.env["mailing.mailing"].create(
            {"subject": "Promo", "mailing_type": "sms", "body_plaintext": "Promo"}
        )
        self.assertFalse(mailing.optical_opt_out_forced)

    def test_composer_on_a_contact(self):
        partner = self.partners[0]
        composer = (
            self.env["sms.composer"]
            .with_context(active_model="res.partner", active_id=partner.id)
            .create({"body": "La tua montatura è pronta"})
        )
        messages = composer._action_send_sms()
        sms = self.env["sms.sms"].search([("mail_message_id", "in", messages.ids)])
        self.assertEqual(sms.state, "pending")
        self.assertEqual(sms.optical_provider_id, self.provider)
        self.assertEqual(
            self.skebby.messages[sms.uuid]["message"], "La tua montatura è pronta"
        )
        notification = messages.notification_ids
        self.assertEqual(notification.notification_status, "pending")

    def test_composer_numbers_mode_failure_on_notification(self):
        partner = self.partners[1]
        self.skebby.numbers["+393470000001"] = "blocked"
        composer = (
            self.env["sms.composer"]
            .with_context(active_model="res.partner", active_id=partner.id)
            .create({"body": "Ciao"})
        )
        messages = composer._action_send_sms()
        notification = messages.notification_ids
        self.assertEqual(
            (notification.notification_status, notification.failure_type),
            ("exception", "optical_blocked"),
        )

    def test_scheduled_mailing_uses_the_responsible_company(self):
        user = self.env["res.users"].create(
            {
                "name": "Twilio shop",
                "login": "twilio_shop",
                "company_id": self.company_twilio.id,
                "company_ids": [(6, 0, self.company_twilio.ids)],
            }
        )
        mailing = self.env["mailing.mailing"].create(
            {
                "subject": "Promo",
                "mailing_type": "sms",
                "body_plaintext": "Promo",
                "user_id": user.id,
                "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
                "mailing_domain": [("id", "in", self.partners[:1].ids)],
            }
        )
        mailing.sudo().action_send_sms()  # as the scheduled action does
        self._run_queue()
        sms = self.env["sms.sms"].search([("mailing_id", "=", mailing.id)])
        self.assertEqual(sms.optical_provider_id, self.provider_twilio)
        self.assertEqual(self.twilio.stats()["accepted"], 1)
        self.assertEqual(self.skebby.stats()["send_requests"], 0)
