from odoo import api, fields, models
from odoo.exceptions import UserError

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
    """Append-only ledger: the latest row per partner, channel and purpose decides.

    A correction is a new row; rows are never edited or deleted (but by the
    superuser, e.g. when the partner itself is deleted).
    """

    _name = "optical.consent"
    _description = "Consent (ledger row)"
    _order = "date desc, id desc"
    _check_company_auto = True

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
    company_id = fields.Many2one(
        "res.company",
        string="Shop",
        index=True,
        default=lambda self: self.env.company,
        help="Shop the consent was given to; empty means every shop of the chain. "
        "An opt-out from a message is the sending shop's, unless the customer "
        "stops every shop (blacklist).",
    )

    def init(self):
        # the latest row per partner/channel/purpose is read for whole audiences
        self.env.cr.execute(
            "CREATE INDEX IF NOT EXISTS optical_consent_latest_idx ON optical_consent "
            "(partner_id, channel, purpose, date DESC, id DESC)"
        )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("date") and fields.Datetime.to_datetime(
                vals["date"]
            ) > fields.Datetime.add(fields.Datetime.now(), minutes=5):
                raise UserError(self.env._("A consent cannot be dated in the future."))
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            raise UserError(
                self.env._(
                    "Consents are a ledger: they cannot be changed. Record a new "
                    "consent (granted or revoked) instead."
                )
            )
        return super().write(vals)

    def unlink(self):
        if not self.env.su:
            raise UserError(
                self.env._(
                    "Consents are a ledger: they cannot be deleted. Record a "
                    "revocation instead."
                )
            )
        return super().unlink()
