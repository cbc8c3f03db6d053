from odoo import fields, models

from .sms_sms import OPTICAL_FAILURE_TYPES


class MailNotification(models.Model):
    _inherit = "mail.notification"

    failure_type = fields.Selection(
        selection_add=OPTICAL_FAILURE_TYPES,
        ondelete={key: "set null" for key, _label in OPTICAL_FAILURE_TYPES},
    )
