from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import SmsProviderCase


@tagged("post_install", "-at_install")
class TestProvider(SmsProviderCase):
    def test_sender_alias_validation(self):
        for sender in ("OtticaRossi", "Ottica 2", "+393331234567", "3331234567"):
            self.provider.sender = sender
        for sender in ("OtticaRossi1", "Ottica-Rossi", "Ottica È", "+39 333 123"):
            with self.assertRaises(ValidationError, msg=sender):
                self.provider.sender = sender
        self.provider.sender = "OtticaRossi"
        self.assertTrue(self.provider.sender_is_alias)
        self.provider.sender = "+393331234567"
        self.assertFalse(self.provider.sender_is_alias)

    def test_one_active_provider_per_company(self):
        with self.assertRaises(ValidationError):
            self.env["optical.sms.provider"].create(
                {
                    "name": "Another",
                    "provider_type": "odoo_iap",
                    "company_id": self.company.id,
                }
            )
        self.provider.active = False
        other = self.env["optical.sms.provider"].create(
            {
                "name": "Another",
                "provider_type": "odoo_iap",
                "company_id": self.company.id,
            }
        )
        self.assertEqual(
            self.env["optical.sms.provider"]._optical_for_company(self.company), other
        )
        with self.assertRaises(ValidationError):
            self.env["optical.sms.provider"].create(
                {
                    "name": "Twilio without sender",
                    "provider_type": "twilio",
                    "company_id": self.env["res.company"].create({"name": "X"}).id,
                }
            )

    def test_credentials_for_managers_only(self):
        user = new_test_user(
            self.env, "optical_user", groups="optical_crm.group_optical_user"
        )
        provider = self.provider.with_user(user)
        self.assertEqual(provider.name, "Skebby")
        for field in (
            "password",
            "username",
            "auth_token",
            "account_sid",
            "dlr_secret",
        ):
            self.assertNotIn(field, provider.fields_get())
            with self.assertRaises(AccessError):
                provider.read([field])
        with self.assertRaises(AccessError):
            provider.write({"price_per_segment": 0})
        manager = new_test_user(
            self.env, "optical_manager", groups="optical_crm.group_optical_manager"
        )
        self.assertEqual(
            self.provider.with_user(manager).password, self.skebby.password
        )

    def test_price_per_segment(self):
        self.assertEqual(self.company._optical_sms_price_per_segment(), 0.045)
        self.assertEqual(self.company_twilio._optical_sms_price_per_segment(), 0.07)
        other = self.env["res.company"].create({"name": "Ottica IAP"})
        self.assertEqual(other._optical_sms_price_per_segment(), 0.0)

    def test_preview(self):
        preview = self.env["optical.sms.provider"].optical_sms_preview
        info = preview("Ciao Maria, è l’ora degli occhiali da sole 😎")
        self.assertEqual(info["encoding"], "ucs2")
        self.assertEqual(
            info["offending"],
            [{"char": "’", "replacement": "'"}, {"char": "😎", "replacement": ""}],
        )
        self.assertEqual(info["segments"], 1)
        self.assertEqual(info["price"], 0.045)
        self.assertTrue(info["cost_display"])
        info = preview("€" * 81)
        self.assertEqual(
            (info["encoding"], info["units"], info["segments"]), ("gsm7", 162, 2)
        )
        self.assertAlmostEqual(info["cost"], 0.09)
        # a mailing counts links, the opt-out link (forced: alias) and the landing link
        mailing = self.env["mailing.mailing"].create(
            {"subject": "Saldi", "mailing_type": "sms", "body_plaintext": "Saldi!"}
        )
        plain = preview("Saldi!")
        info = preview("Saldi!", "mailing.mailing", mailing.id, {"unsubscribe": False})
        self.assertTrue(info["opt_out_forced"])
        self.assertGreater(info["units"], plain["units"] + 20)
        landing = preview("Saldi!", "mailing.mailing", mailing.id, {"landing": True})
        self.assertGreater(landing["units"], info["units"] + 15)
        # a record sending through a mailing (campaign, cycle step) counts the same,
        # also before it is saved; an unknown model counts the bare text
        campaign = self.env["optical.campaign"].create(
            {"name": "Saldi", "channel": "sms", "sms_body": "Saldi!"}
        )
        for res_id in (campaign.id, False):
            info_campaign = preview("Saldi!", "optical.campaign", res_id, {})
            self.assertLessEqual(abs(info_campaign["units"] - info["units"]), 1)
            self.assertTrue(info_campaign["opt_out_forced"])
        self.assertEqual(preview("Saldi!", "no.such.model", 1, {})["units"], 6)

    def test_routing_leaves_iap_companies_to_odoo(self):
        other = self.env["res.company"].create({"name": "Ottica IAP"})
        iap = self.env["optical.sms.provider"].create(
            {"name": "IAP", "provider_type": "odoo_iap", "company_id": other.id}
        )
        sms = self._sms(1, company=other) | self._sms(1, start=5)
        split = sms._optical_split()
        self.assertEqual(split[False], sms[0])
        self.assertEqual(split[self.provider], sms[1])
        self.assertFalse(iap._optical_routes())
        self._run_queue()
        # Odoo IAP refuses to work during tests: the IAP message fails as in core
        self.assertEqual(
            (sms[0].state, sms[0].optical_provider_id.id), ("error", False)
        )
        self.assertEqual(sms[1].state, "pending")
        self.assertEqual(self.skebby.stats()["accepted"], 1)

    def test_test_connection(self):
        action = self.provider.action_test_connection()
        self.assertEqual(action["params"]["type"], "success")
        self.provider.password = "wrong"
        with self.assertRaises(UserError):
            self.provider.action_test_connection()
        self.assertEqual(
            self.provider_twilio.action_test_connection()["tag"], "display_notification"
        )

    def test_report_urls(self):
        self.assertIn(
            f"/optical_sms/dlr/skebby/{self.provider.id}/{self.provider.dlr_secret}",
            self.provider.dlr_url,
        )
        self.assertGreaterEqual(len(self.provider.dlr_secret), 24)
        self.assertTrue(
            self.provider_twilio._optical_report_url("ab").endswith("?ref=ab")
        )
