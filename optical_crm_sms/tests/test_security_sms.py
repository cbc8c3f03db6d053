from odoo.tests import TransactionCase, tagged

from odoo.addons.optical_crm.tests.test_multi_company_isolation import IsolationMixin


@tagged("post_install", "-at_install")
class TestSmsIsolation(IsolationMixin, TransactionCase):
    """Each shop sees only its own SMS provider, landing pages and links."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_shops()

    def test_providers_landing_pages_and_links(self):
        providers = self._in_shops(
            "optical.sms.provider",
            {
                "name": "Skebby",
                "provider_type": "skebby",
                "username": "shop",
                "password": "secret",
                "sender": "Ottica",
            },
        )
        self.assertIsolated(*providers)
        pages = self._in_shops("optical.landing.page", {"name": "Offerta"})
        self.assertIsolated(*pages)
        links = []
        for page in pages:
            mailing = page._create_sms_mailing("Ciao")
            _urls, link = self.env["optical.landing.token"]._issue(
                page, mailing, {self.customer.id: self.customer}
            )
            links.append(link)
        self.assertIsolated(*links)
        # the shop's provider only: the price and the sender of the other shop stay
        self.assertEqual(
            self.env["optical.sms.provider"]
            .with_user(self.manager_a)
            .search([])
            .company_id,
            self.shop_a,
        )
