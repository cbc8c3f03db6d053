from odoo import api, fields, models
from odoo.exceptions import UserError

from .optical_contact_policy import EXCLUSION_REASONS

RECIPIENT_STATES = [
    ("pending", "To send"),
    ("sent", "Sent"),
    ("failed", "Failed"),
    ("excluded", "Excluded"),
    ("control", "Control group"),
    ("cancelled", "Cancelled"),
]
RECIPIENT_REASONS = EXCLUSION_REASONS + [
    ("message_failed", "Message refused by the sending queue"),
    ("campaign_cancelled", "Campaign cancelled"),
    ("period_over", "Campaign period over"),
]
CALL_OUTCOMES = [
    ("reached", "Reached"),
    ("not_reached", "Not reached"),
    ("booked", "Booked an appointment"),
    ("refused", "Refused"),
]


class OpticalCampaignRecipient(models.Model):
    """One customer of a campaign's audience and what happened to them.

    Rows are written when the campaign starts (one per customer of the segment,
    unique per campaign: nobody gets the same campaign twice) and each ends in a
    final state with a reason: sent, failed, excluded by the contact policy, held
    out as control group, or cancelled.
    """

    _name = "optical.campaign.recipient"
    _description = "Campaign recipient"
    _order = "campaign_id desc, id"
    _rec_name = "partner_id"

    # indexed by the (campaign, customer) unique constraint
    campaign_id = fields.Many2one("optical.campaign", required=True, ondelete="cascade")
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(
        "res.company",
        string="Shop",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    channel = fields.Selection(related="campaign_id.channel")
    state = fields.Selection(RECIPIENT_STATES, required=True, default="pending")
    reason = fields.Selection(RECIPIENT_REASONS)
    sent_datetime = fields.Datetime(string="Sent on")
    mailing_trace_id = fields.Many2one(
        "mailing.trace", string="Trace", ondelete="set null"
    )
    trace_status = fields.Selection(
        related="mailing_trace_id.trace_status", string="Message status"
    )
    failure_type = fields.Selection(
        related="mailing_trace_id.failure_type", string="Failure"
    )
    # phone campaigns
    user_id = fields.Many2one("res.users", string="Caller", index="btree_not_null")
    activity_id = fields.Many2one(
        "mail.activity", string="Call to make", ondelete="set null"
    )
    call_outcome = fields.Selection(CALL_OUTCOMES)
    call_datetime = fields.Datetime(string="Called on")
    call_script = fields.Html(related="campaign_id.call_script")
    phone = fields.Char(related="partner_id.phone")
    mobile = fields.Char(related="partner_id.mobile")

    _sql_constraints = [
        (
            "campaign_partner_unique",
            "unique(campaign_id, partner_id)",
            "A customer appears once in a campaign.",
        )
    ]

    def init(self):
        # the sending queue: the pending rows of a campaign, in order
        self.env.cr.execute(
            "CREATE INDEX IF NOT EXISTS optical_campaign_recipient_pending_idx "
            "ON optical_campaign_recipient (campaign_id, id) WHERE state = 'pending'"
        )

    # ------------------------------------------------------------------ calls
    def action_call_reached(self):
        return self._optical_record_call_outcome("reached")

    def action_call_not_reached(self):
        return self._optical_record_call_outcome("not_reached")

    def action_call_booked(self):
        return self._optical_record_call_outcome("booked")

    def action_call_refused(self):
        return self._optical_record_call_outcome("refused")

    def _optical_record_call_outcome(self, outcome, from_activity=False):
        """Record the outcome of the campaign call to each recipient.

        A touchpoint keeps it in the customer's history (a booking counts in the
        campaign's results), the call counts as a marketing contact when the
        customer was reached, and the call activity is marked as done.
        """
        self.check_access("write")
        labels = dict(CALL_OUTCOMES)
        for recipient in self:
            if recipient.state != "sent" or recipient.campaign_id.channel != "phone":
                raise UserError(
                    self.env._(
                        "Only calls of a phone campaign that were handed to the "
                        "staff can get an outcome (%(customer)s).",
                        customer=recipient.partner_id.display_name,
                    )
                )
            if recipient.call_outcome:
                raise UserError(
                    self.env._(
                        "The call to %(customer)s already has an outcome: "
                        "%(outcome)s.",
                        customer=recipient.partner_id.display_name,
                        outcome=labels[recipient.call_outcome],
                    )
                )
        now = fields.Datetime.now()
        self.sudo().write({"call_outcome": outcome, "call_datetime": now})
        self.env["optical.touchpoint"].sudo().create(
            [
                {
                    "partner_id": recipient.partner_id.id,
                    "datetime": now,
                    "channel": "phone",
                    "kind": "booking" if outcome == "booked" else "call",
                    "summary": self.env._(
                        "%(campaign)s: %(outcome)s",
                        campaign=recipient.campaign_id.name,
                        outcome=labels[outcome],
                    ),
                    "res_model": "optical.campaign",
                    "res_id": recipient.campaign_id.id,
                    "company_id": recipient.company_id.id,
                    "source": "odoo",
                    "external_ref": f"optical.campaign.recipient,{recipient.id}",
                }
                for recipient in self
            ]
        )
        if outcome != "not_reached":  # the customer was contacted
            self.env["optical.contact.policy"]._optical_log_sent(
                [
                    {
                        "partner_id": recipient.partner_id.id,
                        "company_id": recipient.company_id.id,
                        "channel": "phone",
                        "purpose": "marketing",
                        "datetime": now,
                        "res_model": "optical.campaign",
                        "res_id": recipient.campaign_id.id,
                    }
                    for recipient in self
                ]
            )
        if not from_activity:
            activities = self.activity_id.sudo()
            for activity in activities:
                activity.with_context(optical_call_outcome_done=True)._action_done(
                    feedback=labels[outcome]
                )
        return True

    @api.model
    def _optical_call_outcomes(self):
        return dict(CALL_OUTCOMES)
