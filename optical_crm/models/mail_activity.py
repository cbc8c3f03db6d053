from odoo import fields, models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    optical_recipient_id = fields.Many2one(
        "optical.campaign.recipient",
        string="Campaign call",
        index="btree_not_null",
        ondelete="set null",
    )

    def _action_done(self, feedback=False, attachment_ids=None):
        # a campaign call marked as done from the chatter or the activity view,
        # without going through the outcome buttons: the customer was reached
        if not self.env.context.get("optical_call_outcome_done"):
            pending = self.sudo().optical_recipient_id.filtered(
                lambda r: not r.call_outcome and r.state == "sent"
            )
            if pending:
                pending._optical_record_call_outcome("reached", from_activity=True)
        return super()._action_done(feedback=feedback, attachment_ids=attachment_ids)
