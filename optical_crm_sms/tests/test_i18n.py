from datetime import timedelta

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestItalian(HttpCase):
    """The public landing page speaks the customer's Italian; so do the provider's
    messages and the SMS counter's OWL template."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("it_IT")
        cls.env["ir.module.module"]._load_module_terms(
            ["optical_crm_sms"], ["it_IT"], overwrite=True
        )
        cls.page = cls.env["optical.landing.page"].create(
            {"name": "Occhiali da sole", "booking_enabled": True}
        )
        cls.maria = cls.env["res.partner"].create(
            {"name": "Maria Bianchi", "lang": "it_IT"}
        )
        Token = cls.env["optical.landing.token"]
        Token.create(
            {
                "landing_page_id": cls.page.id,
                "partner_id": cls.maria.id,
                "token_hash": Token._hash("itTestToken1"),
                "expiry": fields.Datetime.now() + timedelta(days=1),
            }
        )

    def test_landing_page(self):
        response = self.url_open("/o/itTestToken1")
        self.assertEqual(response.status_code, 200)
        for text in ("Ciao", "Prenota una visita", "Orario preferito", "Pomeriggio"):
            self.assertIn(text, response.text)
        self.assertNotIn("Book a visit", response.text)
        gone = self.url_open("/o/unknownToken")
        self.assertEqual(gone.status_code, 404)
        self.assertIn("Questa offerta non è più disponibile", gone.text)

    def test_provider_message_and_counter(self):
        with self.assertRaises(ValidationError) as caught:
            self.env["optical.sms.provider"].with_context(lang="it_IT").create(
                {
                    "name": "Skebby",
                    "provider_type": "skebby",
                    "sender": "Ottica Rossi Milano",
                    "active": False,
                }
            )
        self.assertIn("non è valido", str(caught.exception))
        translations, _params = self.env["ir.http"].get_translations_for_webclient(
            ["optical_crm_sms"], "it_IT"
        )
        messages = {
            m["id"]: m["string"] for m in translations["optical_crm_sms"]["messages"]
        }
        self.assertEqual(messages["Use the GSM-7 characters"], "Usa i caratteri GSM-7")
