from odoo.tests import tagged

from .common import CyclesCase


@tagged("post_install", "-at_install")
class TestSendingShop(CyclesCase):
    """A cycle message belongs to the cycle's shop: an opt-out from it (Odoo's
    unsubscribe pages) is recorded for that shop, and its results count the
    opt-outs of that shop only."""

    def test_cycle_mailings_are_sent_by_the_cycle_shop(self):
        shop_b = self.env["res.company"].create({"name": "Ottica Due Torri"})
        self.env.user.company_ids |= shop_b
        cycle_a = self.make_cycle()
        cycle_b = self.make_cycle(company_id=shop_b.id)
        for cycle, shop in ((cycle_a, self.company), (cycle_b, shop_b)):
            for step in cycle.step_ids:
                self.assertEqual(step.mailing_id._optical_sending_company(), shop)
        # an opt-out from shop B's message stops shop B only
        self.env["res.partner"]._optical_record_unsubscribe(
            [("id", "=", self.anna.id)], ("sms",), company=shop_b
        )
        allowed = self.anna._optical_contact_allowed
        self.assertEqual(allowed("sms", company=shop_b), (False, "consent_revoked"))
        self.assertEqual(allowed("sms", company=self.company), (True, ""))
