"""The credentials of the delivery reports: an active Twilio provider has an auth
token and an empty token never validates a signature; managers can regenerate the
Skebby report secret (the old URL stops working at once)."""

from urllib.parse import urlencode

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from ..tools.providers import twilio_signature
from .common import SmsProviderMixin

QUIET = (
    "odoo.addons.optical_crm_sms.controllers.delivery_reports",
    "odoo.addons.optical_crm.models.optical_public_throttle",
)


@tagged("post_install", "-at_install")
class TestReportCredentials(SmsProviderMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_providers()

    def setUp(self):
        super().setUp()
        self._reset_fakes()
        self.env["optical.public.throttle"].sudo().search([]).unlink()
        self.env["ir.config_parameter"].sudo().set_param(
            "web.base.url", self.base_url()
        )

    def _post(self, url, params, headers=None):
        return self.url_open(
            url,
            data=urlencode(params),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                **(headers or {}),
            },
        )

    def test_active_twilio_provider_needs_an_auth_token(self):
        Provider = self.env["optical.sms.provider"]
        values = {
            "name": "Twilio bis",
            "provider_type": "twilio",
            "account_sid": "AC" + "1" * 32,
            "sender": "OtticaTw",
            "company_id": self.env["res.company"].create({"name": "Ottica Tre"}).id,
        }
        for token in (False, "", "   "):
            with self.assertRaises(ValidationError), self.env.cr.savepoint():
                Provider.create(dict(values, auth_token=token))
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            self.provider_twilio.auth_token = False
        # archived, it may wait for its token
        archived = Provider.create(dict(values, active=False))
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            archived.active = True
        archived.write({"auth_token": "t" * 32, "active": True})
        self.assertTrue(archived.active)

    @mute_logger(*QUIET)
    def test_empty_auth_token_never_validates_a_signature(self):
        # a provider saved before the rule (or emptied in the database)
        self.env.cr.execute(
            "UPDATE optical_sms_provider SET auth_token = '' WHERE id = %s",
            [self.provider_twilio.id],
        )
        self.provider_twilio.invalidate_recordset()
        url = self.provider_twilio._optical_report_url()
        params = {
            "MessageSid": "SM" + "0" * 32,
            "MessageStatus": "delivered",
            "AccountSid": self.twilio.account_sid,
        }
        forged = twilio_signature("", url, params)
        response = self._post(url, params, {"X-Twilio-Signature": forged})
        self.assertEqual(response.status_code, 403)

    @mute_logger(*QUIET)
    def test_manager_regenerates_the_report_secret(self):
        old_url = self.provider._optical_report_url()
        report = {"order_id": "f" * 32, "status": "DLVRD"}
        self.assertEqual(self._post(old_url, report).status_code, 200)
        user = new_test_user(
            self.env, "rep_user", groups="optical_crm.group_optical_user"
        )
        with self.assertRaises(AccessError):
            self.provider.with_user(user).action_regenerate_dlr_secret()
        manager = new_test_user(
            self.env,
            "rep_manager",
            groups="optical_crm.group_optical_manager",
            company_ids=[(6, 0, self.company.ids)],
        )
        self.provider.with_user(manager).action_regenerate_dlr_secret()
        self.provider.invalidate_recordset()
        new_url = self.provider._optical_report_url()
        self.assertNotEqual(new_url, old_url)
        # the form shows the new URL
        self.assertEqual(self.provider.with_user(manager).dlr_url, new_url)
        self.assertEqual(self._post(old_url, report).status_code, 403)
        self.assertEqual(self._post(new_url, report).status_code, 200)
