from odoo import fields, models


class OpticalCampaignPreviewSample(models.TransientModel):
    _name = "optical.campaign.preview.sample"
    _description = "Campaign preview: rendered sample"

    preview_id = fields.Many2one(
        "optical.campaign.preview", required=True, ondelete="cascade"
    )
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    subject = fields.Char(readonly=True)
    body = fields.Text(string="Message", readonly=True)
    body_html = fields.Html(string="Email", readonly=True, sanitize=False)
    sms_segments = fields.Integer(string="SMS parts", readonly=True)
