from odoo import api, models
from odoo.http import request


class LinkTrackerClick(models.Model):
    _inherit = "link.tracker.click"

    @api.model
    def add_click(self, code, **route_values):
        """Link previews are not clicks (every ``/r/<code>`` route of Odoo: the
        link tracker's, the SMS and the email ones): the message is not marked as
        clicked and the campaign does not count it."""
        if request and self.env["ir.http"]._optical_is_link_preview():
            return None
        return super().add_click(code, **route_values)
