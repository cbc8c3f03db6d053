from odoo import api, models


class OpticalConsent(models.Model):
    _inherit = "optical.consent"

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        revoked = records.filtered(
            lambda consent: consent.channel == "sms"
            and consent.purpose == "marketing"
            and not consent.granted
        )
        if revoked:
            self.env["optical.landing.token"]._revoke_partners(revoked.partner_id)
        return records
