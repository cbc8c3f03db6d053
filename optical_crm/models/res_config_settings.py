from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    optical_recall_months = fields.Integer(
        related="company_id.optical_recall_months", readonly=False
    )
    optical_send_calendar_id = fields.Many2one(
        related="company_id.optical_send_calendar_id", readonly=False
    )
    optical_skip_public_holidays = fields.Boolean(
        related="company_id.optical_skip_public_holidays", readonly=False
    )
    optical_cap_count = fields.Integer(
        related="company_id.optical_cap_count", readonly=False
    )
    optical_cap_days = fields.Integer(
        related="company_id.optical_cap_days", readonly=False
    )
    optical_hourly_limit = fields.Integer(
        related="company_id.optical_hourly_limit", readonly=False
    )
    optical_attribution_days = fields.Integer(
        related="company_id.optical_attribution_days", readonly=False
    )

    def action_optical_send_window(self):
        """Open the shop's send window (created with the defaults if missing)."""
        calendar = self.company_id._optical_send_calendar()
        return {
            "type": "ir.actions.act_window",
            "res_model": "resource.calendar",
            "res_id": calendar.id,
            "view_mode": "form",
            "target": "current",
        }
