from werkzeug.urls import url_join

from odoo import api, fields, models

from .optical_sms_provider import LANDING_LINK_PLACEHOLDER
from .sms_sms import OUTCOME_UNKNOWN


class MailingMailing(models.Model):
    _inherit = "mailing.mailing"

    optical_landing_page_id = fields.Many2one(
        "optical.landing.page",
        string="Landing page",
        index="btree_not_null",
        ondelete="restrict",
        help="Each recipient gets a personal link to this page at the end of the SMS.",
    )
    optical_opt_out_forced = fields.Boolean(
        string="Opt-out link forced",
        compute="_compute_optical_opt_out_forced",
        help="The sender is an alias that cannot receive replies: every SMS carries "
        "the opt-out link.",
    )

    @api.depends("mailing_type")
    @api.depends_context("company")
    def _compute_optical_opt_out_forced(self):
        provider = self.env["optical.sms.provider"]._optical_for_company(
            self.env.company
        )
        forced = bool(
            provider and provider._optical_routes() and provider._optical_alias()
        )
        for mailing in self:
            mailing.optical_opt_out_forced = forced and mailing.mailing_type == "sms"

    def _optical_sending_company(self):
        return (
            super()._optical_sending_company()
            or self.sudo().optical_landing_page_id.company_id
        )

    def _send_sms_get_composer_values(self, res_ids):
        values = super()._send_sms_get_composer_values(res_ids)
        if self.optical_opt_out_forced or self.optical_landing_page_id:
            values["mass_sms_allow_unsubscribe"] = True
        return values

    def action_send_sms(self, res_ids=None):
        """Send each mailing with its responsible's company when run by the system
        without a company chosen.

        Mailings have no company: the SMS scheduled action (superuser, main company)
        would otherwise send every shop's mailing through the main company's provider.
        """
        if not self.env.su or self.env.context.get("allowed_company_ids"):
            # a user, or a caller that chose the company (with_company)
            return super().action_send_sms(res_ids=res_ids)
        for mailing in self:
            company = mailing.user_id.company_id or self.env.company
            super(MailingMailing, mailing.with_company(company)).action_send_sms(
                res_ids=res_ids
            )
        return True

    def get_sms_link_replacements_placeholders(self):
        placeholders = super().get_sms_link_replacements_placeholders()
        placeholders["landing"] = "\n" + url_join(
            self.env.company.get_base_url(), LANDING_LINK_PLACEHOLDER
        )
        return placeholders

    def action_retry_failed_sms(self):
        """Odoo's "Retry" of failed SMS, minus those whose outcome is unknown (the
        customer may have them): their trace stays, so they are not sent again."""
        failed_sms = (
            self.env["sms.sms"]
            .sudo()
            .search(
                [
                    ("mailing_id", "in", self.ids),
                    ("state", "=", "error"),
                    ("failure_type", "!=", OUTCOME_UNKNOWN),
                ]
            )
        )
        failed_sms.mapped("mailing_trace_ids").unlink()
        failed_sms.unlink()
        self.action_put_in_queue()
