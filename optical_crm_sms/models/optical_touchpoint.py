from odoo import api, models


class OpticalTouchpoint(models.Model):
    _inherit = "optical.touchpoint"

    @api.model
    def _optical_internal_sources(self):
        """Visits, bookings and opt-outs on the SMS landing pages."""
        return super()._optical_internal_sources() | {"sms_landing"}
