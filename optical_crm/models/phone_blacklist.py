from odoo import api, models


class PhoneBlacklist(models.Model):
    _inherit = "phone.blacklist"

    @api.model
    def _add(self, numbers, message=None):
        records = super()._add(numbers, message=message)
        self.env["res.partner"]._optical_record_unsubscribe(
            [("phone_sanitized", "in", records.mapped("number"))], ("sms",)
        )
        return records
