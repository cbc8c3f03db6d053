from odoo import models


class SmsComposer(models.TransientModel):
    _inherit = "sms.composer"

    def _prepare_mass_sms_values(self, records):
        """Give each recipient of a landing-page mailing its personal link."""
        landing = self.mailing_id.optical_landing_page_id
        if self.composition_mode != "mass" or not landing or not records:
            return super()._prepare_mass_sms_values(records)
        recipients = self._prepare_recipient_values(records)
        links, tokens = self.env["optical.landing.token"]._issue(
            landing,
            self.mailing_id,
            {record.id: recipients[record.id]["partner"] for record in records},
        )
        result = super(
            SmsComposer, self.with_context(optical_landing_links=links)
        )._prepare_mass_sms_values(records)
        unsent = {
            res_id for res_id, values in result.items() if values["state"] != "outgoing"
        }
        tokens.filtered(lambda token: token.res_id in unsent).unlink()
        return result

    def _prepare_mass_sms_trace_values(self, record, sms_values):
        links = self.env.context.get("optical_landing_links")
        if links and record.id in links and sms_values["state"] == "outgoing":
            sms_values["body"] = f"{sms_values['body'] or ''}\n{links[record.id]}"
        return super()._prepare_mass_sms_trace_values(record, sms_values)
