from odoo import api, models


class MailBlacklist(models.Model):
    _inherit = "mail.blacklist"

    @api.model
    def _add(self, email, message=None):
        record = super()._add(email, message=message)
        self.env["res.partner"]._optical_record_unsubscribe(
            [("email_normalized", "=", record.email)], ("email",)
        )
        return record
