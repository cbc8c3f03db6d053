from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import OpticalCase, has_consent_api


@tagged("post_install", "-at_install")
class TestConsentWizard(OpticalCase):
    def setUp(self):
        super().setUp()
        if not has_consent_api(self.env):
            self.skipTest("the consent ledger API (res.partner) is not installed")

    def test_record_from_the_contact_form(self):
        action = self.customer.with_user(self.user).action_optical_record_consent()
        self.assertEqual(action["res_model"], "optical.consent.wizard")
        form = Form(
            self.env["optical.consent.wizard"]
            .with_user(self.user)
            .with_context(**action["context"])
        )
        self.assertEqual(form.partner_ids[:], self.customer)
        form.channel = "sms"
        form.purpose = "marketing"
        form.decision = "granted"
        form.source = "store"
        form.note = "Modulo privacy n. 12"
        form.save().action_record()
        row = self.customer.optical_consent_ids
        self.assertEqual(len(row), 1)
        self.assertEqual(
            (row.channel, row.purpose, row.granted, row.source, row.note),
            ("sms", "marketing", True, "store", "Modulo privacy n. 12"),
        )

    def test_bulk_and_corrections_are_new_rows(self):
        partners = self.customer | self.other_customer
        Wizard = self.env["optical.consent.wizard"].with_user(self.user)
        for decision in ("granted", "revoked"):
            Wizard.create(
                {
                    "partner_ids": [(6, 0, partners.ids)],
                    "channel": "email",
                    "purpose": "marketing",
                    "decision": decision,
                    "source": "phone",
                }
            ).action_record()
        for partner in partners:
            self.assertEqual(
                partner.optical_consent_ids.sorted("id").mapped("granted"),
                [True, False],
            )

    def test_manual_sources_only(self):
        sources = [
            key
            for key, _label in self.env["optical.consent.wizard"]._selection_source()
        ]
        self.assertEqual(sorted(sources), ["app", "phone", "store", "web"])
        wizard = self.env["optical.consent.wizard"].create(
            {
                "partner_ids": [(6, 0, self.customer.ids)],
                "channel": "sms",
                "source": "unsubscribe",
            }
        )
        with self.assertRaisesRegex(UserError, "only as given in the shop"):
            wizard.action_record()
        self.assertFalse(self.customer.optical_consent_ids)

    def test_required_fields(self):
        form = Form(self.env["optical.consent.wizard"].with_user(self.user))
        with self.assertRaises(AssertionError):
            form.save()  # customers and channel are required in the form
        with self.assertRaisesRegex(UserError, "at least one customer"):
            self.env["optical.consent.wizard"].create(
                {"channel": "sms"}
            ).action_record()
