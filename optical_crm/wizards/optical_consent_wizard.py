from odoo import api, fields, models
from odoo.exceptions import UserError

# Sources a person can pick when recording consent by hand; "import" and
# "unsubscribe" are written by the import and by Odoo's unsubscribe links.
MANUAL_SOURCES = ("store", "web", "app", "phone")


class OpticalConsentWizard(models.TransientModel):
    _name = "optical.consent.wizard"
    _description = "Record consent"

    partner_ids = fields.Many2many("res.partner", string="Customers", required=True)
    channel = fields.Selection(selection="_selection_channel", required=True)
    purpose = fields.Selection(
        selection="_selection_purpose", required=True, default="marketing"
    )
    decision = fields.Selection(
        [("granted", "Granted"), ("revoked", "Refused or revoked")],
        required=True,
        default="granted",
    )
    source = fields.Selection(
        selection="_selection_source",
        required=True,
        default="store",
        help="Where the customer gave or withdrew consent.",
    )
    note = fields.Char(
        help="For example: signed privacy form no. 123, or the call in which the "
        "customer asked to stop messages."
    )

    @api.model
    def _consent_selection(self, fname):
        return (
            self.env["optical.consent"]._fields[fname]._description_selection(self.env)
        )

    @api.model
    def _selection_channel(self):
        return self._consent_selection("channel")

    @api.model
    def _selection_purpose(self):
        return self._consent_selection("purpose")

    @api.model
    def _selection_source(self):
        return [
            (key, label)
            for key, label in self._consent_selection("source")
            if key in MANUAL_SOURCES
        ]

    def action_record(self):
        self.ensure_one()
        if not self.partner_ids:
            raise UserError(self.env._("Choose at least one customer."))
        if self.source not in MANUAL_SOURCES:
            raise UserError(
                self.env._(
                    "Consent can be recorded by hand only as given in the shop, on "
                    "the website, in the app or by phone."
                )
            )
        for partner in self.partner_ids:
            partner._optical_record_consent(
                self.channel,
                self.purpose,
                self.decision == "granted",
                self.source,
                note=self.note or None,
            )
        return {"type": "ir.actions.act_window_close"}
