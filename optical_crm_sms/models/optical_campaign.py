from odoo import api, fields, models


class OpticalCampaign(models.Model):
    """Campaigns by SMS with a landing page: each SMS carries its recipient's own
    link to the campaign's offer (``optical.landing.page``)."""

    _inherit = "optical.campaign"

    channel = fields.Selection(
        selection_add=[("sms", "SMS"), ("sms_landing", "SMS with landing page")],
        ondelete={"sms_landing": "set default"},
    )
    landing_page_id = fields.Many2one(
        "optical.landing.page",
        string="Landing page",
        check_company=True,
        ondelete="restrict",
        tracking=True,
        help="The offer each customer's personal link opens (SMS with landing page).",
    )

    @api.model
    def _optical_mailing_type_for(self, channel):
        if channel == "sms_landing":
            return "sms"
        return super()._optical_mailing_type_for(channel)

    def _optical_policy_channel(self):
        self.ensure_one()
        if self.channel == "sms_landing":
            return "sms"
        return super()._optical_policy_channel()

    @api.model
    def _optical_locked_fields(self):
        return super()._optical_locked_fields() | {"landing_page_id"}

    @api.model
    def _optical_mailing_fields(self):
        return super()._optical_mailing_fields() | {"landing_page_id"}

    def _optical_prepare_mailing_values(self):
        values = super()._optical_prepare_mailing_values()
        values["optical_landing_page_id"] = (
            self.landing_page_id.id if self.channel == "sms_landing" else False
        )
        return values

    def _optical_sms_text_as_sent(self, body):
        """Plus the recipient's landing page link (same length for everyone)."""
        text = super()._optical_sms_text_as_sent(body)
        mailing = self.mailing_id.sudo()
        if mailing.optical_landing_page_id:
            text += mailing.get_sms_link_replacements_placeholders()["landing"]
        return text

    def _optical_check_content(self, samples=None):
        errors = super()._optical_check_content(samples)
        if self.channel == "sms_landing" and not self.landing_page_id:
            errors.append(
                self.env._(
                    "Choose the landing page of campaign %(name)s: the offer each "
                    "customer's personal link opens.",
                    name=self.name,
                )
            )
        return errors
