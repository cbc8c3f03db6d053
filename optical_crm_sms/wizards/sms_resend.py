from odoo import api, models

from ..models.sms_sms import OUTCOME_UNKNOWN


class SmsResend(models.TransientModel):
    _inherit = "sms.resend"

    @api.model
    def default_get(self, fields):
        """A message whose outcome is unknown may have reached the customer: it
        is not ticked "Try Again" (the user decides, seeing why)."""
        result = super().default_get(fields)
        for command in result.get("recipient_ids") or []:
            values = command[2] if len(command) > 2 else None
            if (
                isinstance(values, dict)
                and values.get("failure_type") == OUTCOME_UNKNOWN
            ):
                values["resend"] = False
        return result
