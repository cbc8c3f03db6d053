from odoo.tests import HttpCase, tagged

from .common import SmsProviderMixin


@tagged("post_install", "-at_install")
class TestSmsWidgetTour(SmsProviderMixin, HttpCase):
    def test_sms_widget_counter_cost_and_hint(self):
        self._setup_providers()
        mailing = self.env["mailing.mailing"].create(
            {"subject": "Saldi", "mailing_type": "sms", "body_plaintext": "Saldi"}
        )
        self.start_tour(
            f"/odoo/action-mass_mailing_sms.mailing_mailing_action_sms/{mailing.id}",
            "optical_sms_widget_tour",
            login="admin",
        )
        self.assertEqual(mailing.body_plaintext, "E' l'ora dei saldi")
