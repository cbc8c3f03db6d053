from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import email_normalize

SAMPLE_COUNT = 3


class OpticalCampaignPreview(models.TransientModel):
    """What a campaign would do if it were sent now, and a test send."""

    _name = "optical.campaign.preview"
    _description = "Campaign preview"

    campaign_id = fields.Many2one("optical.campaign", required=True, ondelete="cascade")
    channel = fields.Selection(related="campaign_id.channel")
    message_kind = fields.Selection(related="campaign_id.message_kind")
    state = fields.Selection(related="campaign_id.state")
    currency_id = fields.Many2one(related="campaign_id.currency_id")
    audience_count = fields.Integer(string="Customers in the segment", readonly=True)
    eligible_count = fields.Integer(string="Can be contacted", readonly=True)
    control_count = fields.Integer(string="Held out (control group)", readonly=True)
    message_count = fields.Integer(string="Messages to send", readonly=True)
    excluded_count = fields.Integer(string="Excluded", readonly=True)
    excluded_no_consent = fields.Integer(string="No consent", readonly=True)
    excluded_no_address = fields.Integer(
        string="No valid mobile or email", readonly=True
    )
    excluded_blacklisted = fields.Integer(string="Blacklisted", readonly=True)
    excluded_frequency_cap = fields.Integer(string="Frequency cap", readonly=True)
    excluded_duplicate = fields.Integer(string="Same person twice", readonly=True)
    excluded_archived = fields.Integer(string="Archived", readonly=True)
    sample_ids = fields.One2many(
        "optical.campaign.preview.sample", "preview_id", string="Samples"
    )
    sms_segments = fields.Integer(
        string="SMS parts per message",
        readonly=True,
        help="The longest of the samples, links shortened and opt-out link included.",
    )
    sms_price = fields.Float(
        string="Price per SMS part", digits="Product Price", readonly=True
    )
    sms_cost = fields.Monetary(string="Estimated cost", readonly=True)
    problems = fields.Text(readonly=True)
    test_recipient = fields.Char(
        string="Send a test to",
        help="A mobile number (SMS) or an email address of your choice; the first "
        "sample is sent to it.",
    )
    test_result = fields.Char(readonly=True)

    @api.model_create_multi
    def create(self, vals_list):
        previews = super().create(vals_list)
        for preview in previews:
            preview._optical_fill()
        return previews

    def _optical_fill(self):
        self.ensure_one()
        campaign = self.campaign_id
        partners, screen = campaign._optical_audience()
        eligible = [pid for pid in partners.ids if not screen[pid]]
        control = campaign._optical_control_size(len(eligible))
        values = {
            "audience_count": len(partners),
            "eligible_count": len(eligible),
            "control_count": control,
            "message_count": len(eligible) - control,
            "excluded_count": len(partners) - len(eligible),
        }
        values.update(
            campaign._optical_count_exclusions(
                [reason for reason in screen.values() if reason]
            )
        )
        sample_partners = partners.browse(eligible[:SAMPLE_COUNT])
        samples = campaign._optical_render_samples(sample_partners)
        lines = []
        segments = 0
        for partner, subject, body in samples:
            line = {"partner_id": partner.id, "subject": subject}
            if campaign.message_kind == "mail":
                line["body_html"] = body
            else:
                line["body"] = body
            if (
                campaign.channel != "phone"
                and campaign.mailing_id.mailing_type == "sms"
            ):
                line["sms_segments"] = campaign._optical_sms_segments(
                    campaign._optical_sms_text_as_sent(body)
                )
                segments = max(segments, line["sms_segments"])
            lines.append(fields.Command.create(line))
        values["sample_ids"] = [fields.Command.clear()] + lines
        if segments:
            price = campaign._optical_sms_price()
            values.update(
                {
                    "sms_segments": segments,
                    "sms_price": price,
                    "sms_cost": segments * values["message_count"] * price,
                }
            )
        problems = campaign._optical_check_content(samples)
        if not eligible:
            problems.append(self.env._("Nobody in the segment can be contacted."))
        values["problems"] = "\n".join(problems) or False
        self.write(values)

    def action_refresh(self):
        self._optical_fill()
        return self._optical_reopen()

    def _optical_reopen(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Preview of %(name)s", name=self.campaign_id.name),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_schedule(self):
        self.campaign_id.action_schedule()
        return {"type": "ir.actions.act_window_close"}

    def action_test_send(self):
        """Send the first sample to the address given, through the real channel."""
        self.ensure_one()
        campaign = self.campaign_id
        if campaign.channel == "phone":
            raise UserError(self.env._("A phone campaign has no message to test."))
        recipient = (self.test_recipient or "").strip()
        if not recipient:
            raise UserError(
                self.env._("Enter the mobile number or email address for the test.")
            )
        partner = self.sample_ids[:1].partner_id or self.env.user.partner_id
        [(_partner, subject, body)] = campaign._optical_render_samples(partner)
        if campaign.mailing_id.mailing_type == "sms":
            ok, detail = self._optical_test_sms(recipient, body)
        else:
            ok, detail = self._optical_test_email(recipient, subject, body)
        if ok:
            message = self.env._("Test sent to %(to)s.", to=detail)
        else:
            message = self.env._(
                "The test to %(to)s could not be sent: %(reason)s",
                to=recipient,
                reason=detail,
            )
        campaign.message_post(body=message)
        self.test_result = message
        return self._optical_reopen()

    def _optical_test_sms(self, number, body):
        company = self.campaign_id.company_id or self.env.company
        sanitized = self.env["res.partner"]._phone_format(
            number=number, country=company.country_id
        )
        if not sanitized:
            raise UserError(
                self.env._(
                    "%(number)s is not a valid mobile number: write it with the "
                    "country code, e.g. +39 333 123 4567.",
                    number=number,
                )
            )
        sms = (
            self.env["sms.sms"]
            .sudo()
            .with_company(company)
            .create({"number": sanitized, "body": body})
        )
        self._optical_test_sms_send(sms)
        return self._optical_test_sms_outcome(sms)

    def _optical_test_sms_send(self, sms):
        """Send the test SMS now, before answering the user (Odoo IAP sends in
        the call). Addons routing SMS elsewhere make sure it is sent now too."""
        sms.send(unlink_failed=False, unlink_sent=False, raise_exception=False)

    def _optical_test_sms_outcome(self, sms):
        """``(sent, detail)``: what happened to the test SMS (the number it went
        to, or why it did not go). Addons add their providers' own reasons."""
        if sms.state in ("process", "pending", "sent"):  # taken by Odoo IAP
            return True, sms.number
        if sms.state == "error":
            labels = dict(sms._fields["failure_type"]._description_selection(self.env))
            return False, labels.get(sms.failure_type) or self.env._("unknown error")
        return False, self.env._(
            "it is still waiting to be sent; see the SMS queue for its outcome"
        )

    def _optical_test_email(self, address, subject, body):
        email = email_normalize(address)
        if not email:
            raise UserError(
                self.env._("%(address)s is not a valid email address.", address=address)
            )
        mailing = self.campaign_id.mailing_id.sudo()
        mail = (
            self.env["mail.mail"]
            .sudo()
            .create(
                {
                    "email_from": mailing.email_from,
                    "email_to": email,
                    "subject": self.env._("[TEST] %(subject)s", subject=subject),
                    "body_html": body,
                    "auto_delete": False,
                    "is_notification": True,
                    "mail_server_id": mailing.mail_server_id.id,
                }
            )
        )
        mail.send(raise_exception=False)
        if mail.state == "sent":
            return True, email
        return False, mail.failure_reason or self.env._("unknown error")
