from unittest.mock import patch

from odoo.tests import tagged

from odoo.addons.iap.tools import iap_tools

from .common import SmsProviderCase
from .fake_providers import FakeIap, iap_jsonrpc_loopback


@tagged("post_install", "-at_install")
class TestPerShopRouting(SmsProviderCase):
    """Each shop's SMS go through its own provider; shops without one (or with
    "Odoo IAP") keep Odoo's IAP service, here the loopback fake of its endpoint."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.iap = FakeIap().start()
        cls.addClassCleanup(cls.iap.stop)
        cls.env["ir.config_parameter"].sudo().set_param("sms.endpoint", cls.iap.url)
        Company = cls.env["res.company"]
        italy = cls.env.ref("base.it")
        cls.company_none = Company.create(
            {"name": "Ottica IAP", "country_id": italy.id}
        )
        cls.company_iap = Company.create(
            {"name": "Ottica IAP esplicito", "country_id": italy.id}
        )
        cls.env["optical.sms.provider"].create(
            {
                "name": "Odoo",
                "provider_type": "odoo_iap",
                "company_id": cls.company_iap.id,
            }
        )

    def setUp(self):
        super().setUp()
        self.iap.reset()

    @staticmethod
    def _received(fake):
        """``{number: [body, ...]}`` of what ``fake`` accepted."""
        received = {}
        for message in fake.messages.values():
            number = message.get("to") or message["recipient"]  # Twilio: "to"
            body = message.get("body") or message["message"]
            received.setdefault("+" + number.lstrip("+"), []).append(body)
        return received

    def test_each_shop_through_its_own_provider(self):
        shops = {
            self.company: self._sms(3, company=self.company, start=0),
            self.company_twilio: self._sms(3, company=self.company_twilio, start=10),
            self.company_none: self._sms(2, company=self.company_none, start=20),
            self.company_iap: self._sms(2, company=self.company_iap, start=30),
        }
        queue = self.env["sms.sms"].browse()
        for sms in shops.values():
            queue |= sms
        with patch.object(iap_tools, "iap_jsonrpc", iap_jsonrpc_loopback):
            self._run_queue()
        expected = {
            self.skebby: shops[self.company],
            self.twilio: shops[self.company_twilio],
            self.iap: shops[self.company_none] | shops[self.company_iap],
        }
        for fake, sms in expected.items():
            self.assertEqual(
                self._received(fake),
                {message.number: [message.body] for message in sms},
                f"{fake.kind} received exactly its shops' messages, once",
            )
            self.assertEqual(fake.stats()["duplicates"], 0)
        self.assertEqual(set(queue.mapped("state")), {"pending"})
        self.assertEqual(
            shops[self.company].optical_provider_id, self.provider, "Skebby shop"
        )
        self.assertEqual(
            shops[self.company_twilio].optical_provider_id, self.provider_twilio
        )
        iap_sms = shops[self.company_none] | shops[self.company_iap]
        self.assertFalse(iap_sms.optical_provider_id)
        self.assertEqual(len(self.iap.accepted), 4)
        self.assertEqual(set(self.iap.accepted), set(iap_sms.mapped("uuid")))
