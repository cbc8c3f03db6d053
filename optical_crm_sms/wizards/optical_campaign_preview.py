from odoo import fields, models


class OpticalCampaignPreview(models.TransientModel):
    """The preview counts each SMS with its personal landing page link (see
    ``optical.campaign._optical_sms_text_as_sent``) and names the page.

    A test SMS is sent while the user waits (through the shop's provider, or
    Odoo IAP), and the user reads the provider's answer."""

    _inherit = "optical.campaign.preview"

    landing_page_id = fields.Many2one(related="campaign_id.landing_page_id")

    def _optical_test_sms_send(self, sms):
        # ``send()`` leaves queued messages (a provider's or Odoo IAP's) to after
        # the commit (their in-flight mark must be committed first); a test SMS
        # exists only in this transaction, so nothing can send it twice: send it
        # now, in it, and tell the user what the provider answered
        sms._send(unlink_failed=False, unlink_sent=False, raise_exception=False)
        sms.invalidate_recordset()
        return None

    def _optical_test_sms_outcome(self, sms):
        if not sms.optical_provider_id:
            return super()._optical_test_sms_outcome(sms)
        provider = sms.optical_provider_id.name
        if sms.state in ("pending", "sent"):
            return True, self.env._(
                "%(number)s (accepted by %(provider)s)",
                number=sms.number,
                provider=provider,
            )
        reason = sms.optical_failure_reason
        if sms.state == "error":
            sent, label = super()._optical_test_sms_outcome(sms)
            return sent, self.env._(
                "%(provider)s refused it: %(reason)s",
                provider=provider,
                reason=reason or label,
            )
        if sms.state == "outgoing":
            return False, self.env._(
                "%(provider)s could not take it now (%(reason)s); the SMS queue "
                "tries again from %(when)s",
                provider=provider,
                reason=reason or self.env._("no reason given"),
                when=fields.Datetime.to_string(sms.optical_next_try_at),
            )
        return False, self.env._(
            "%(provider)s did not answer (%(reason)s): it may have been sent; "
            "its status is checked with the provider",
            provider=provider,
            reason=reason or self.env._("no reason given"),
        )
