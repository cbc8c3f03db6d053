from odoo import fields, models


class OpticalCampaignPreview(models.TransientModel):
    """The preview counts each SMS with its personal landing page link (see
    ``optical.campaign._optical_sms_text_as_sent``) and names the page."""

    _inherit = "optical.campaign.preview"

    landing_page_id = fields.Many2one(related="campaign_id.landing_page_id")
