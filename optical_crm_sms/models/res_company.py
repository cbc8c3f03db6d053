from odoo import models


class ResCompany(models.Model):
    _inherit = "res.company"

    def _optical_sms_price_per_segment(self):
        """Price per segment of the company's active SMS provider."""
        self.ensure_one()
        provider = self.env["optical.sms.provider"]._optical_for_company(self)
        return (
            provider.price_per_segment
            if provider
            else super()._optical_sms_price_per_segment()
        )
