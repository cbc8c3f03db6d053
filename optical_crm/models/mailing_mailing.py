from odoo import fields, models
from odoo.exceptions import UserError


class MailingMailing(models.Model):
    _inherit = "mailing.mailing"

    optical_campaign_id = fields.Many2one(
        "optical.campaign",
        string="Optical campaign",
        index="btree_not_null",
        ondelete="set null",
        copy=False,
        help="The campaign this mailing is the content of: it is sent by the "
        "campaign, through the contact policy, never from here.",
    )

    def _optical_check_not_campaign(self):
        owned = self.filtered("optical_campaign_id")
        if owned:
            raise UserError(
                self.env._(
                    "The mailing %(mailing)s is the content of the campaign "
                    "%(campaign)s: schedule and send it from the campaign, so that "
                    "consent, send window and frequency cap are applied.",
                    mailing=owned[0].subject,
                    campaign=owned[0].optical_campaign_id.name,
                )
            )

    def action_launch(self):
        self._optical_check_not_campaign()
        return super().action_launch()

    def action_schedule(self):
        self._optical_check_not_campaign()
        return super().action_schedule()

    def action_put_in_queue(self):
        self._optical_check_not_campaign()
        return super().action_put_in_queue()
