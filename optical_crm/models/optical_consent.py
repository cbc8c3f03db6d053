from odoo import fields, models

CONSENT_CHANNELS = [
    ("sms", "SMS"),
    ("email", "Email"),
    ("phone", "Phone"),
    ("app", "App"),
]
CONSENT_PURPOSES = [("marketing", "Marketing"), ("service", "Service")]
CONSENT_SOURCES = [
    ("store", "Store"),
    ("web", "Website"),
    ("app", "App"),
    ("phone", "Phone"),
    ("import", "Import"),
    ("unsubscribe", "Unsubscribe"),
]


class OpticalConsent(models.Model):
    """Append-only ledger: the latest row per partner, channel and purpose decides."""

    _name = "optical.consent"
    _description = "Consent (ledger row)"
    _order = "date desc, id desc"

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, ondelete="cascade"
    )
    channel = fields.Selection(CONSENT_CHANNELS, required=True)
    purpose = fields.Selection(CONSENT_PURPOSES, required=True, default="marketing")
    granted = fields.Boolean(default=True)
    date = fields.Datetime(required=True, default=fields.Datetime.now, index=True)
    source = fields.Selection(CONSENT_SOURCES, required=True, default="store")
    note = fields.Char()
    user_id = fields.Many2one(
        "res.users", string="Recorded by", default=lambda self: self.env.user
    )
