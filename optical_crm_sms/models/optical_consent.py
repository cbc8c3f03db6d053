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
        # the links of the shop the consent was revoked for (every shop: all)
        by_company = {}
        for consent in revoked:
            by_company.setdefault(consent.company_id, consent.partner_id)
            by_company[consent.company_id] |= consent.partner_id
        for company, partners in by_company.items():
            self.env["optical.landing.token"]._revoke_partners(partners, company)
        return records
