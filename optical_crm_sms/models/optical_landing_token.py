import hashlib
import hmac
import secrets
from datetime import timedelta

from werkzeug.urls import url_join

from odoo import api, fields, models

TOKEN_BYTES = 9  # 12 URL-safe characters, 72 random bits


class OpticalLandingToken(models.Model):
    """One recipient's link to a landing page: only its hash is stored."""

    _name = "optical.landing.token"
    _description = "Landing page link"
    _order = "id desc"
    _rec_name = "landing_page_id"

    landing_page_id = fields.Many2one(
        "optical.landing.page", required=True, index=True, ondelete="cascade"
    )
    mailing_id = fields.Many2one("mailing.mailing", index=True, ondelete="set null")
    partner_id = fields.Many2one("res.partner", index=True, ondelete="cascade")
    res_model = fields.Char(string="Recipient model")
    res_id = fields.Many2oneReference(string="Recipient", model_field="res_model")
    token_hash = fields.Char(required=True, copy=False)
    expiry = fields.Datetime(required=True, index=True)
    revoked = fields.Boolean(index=True)
    booked_at = fields.Datetime(string="Visit requested on", readonly=True)
    company_id = fields.Many2one(
        related="landing_page_id.company_id", store=True, index=True
    )

    _sql_constraints = [
        ("token_hash_unique", "unique(token_hash)", "This link already exists."),
    ]

    @api.model
    def _hash(self, token):
        secret = self.env["ir.config_parameter"].sudo().get_param("database.secret", "")
        return hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()

    @api.model
    def _issue(self, landing_page, mailing, recipients):
        """Create one link per recipient; return ``({res_id: url}, links)``.

        ``recipients``: ``{res_id: partner}`` of the mailing's target model.
        """
        if not recipients:
            return {}, self.sudo().browse()
        base = landing_page.company_id.get_base_url()
        expiry = fields.Datetime.now() + timedelta(days=landing_page.validity_days)
        vals_list, urls = [], {}
        for res_id, partner in recipients.items():
            token = secrets.token_urlsafe(TOKEN_BYTES)
            urls[res_id] = url_join(base, f"/o/{token}")
            vals_list.append(
                {
                    "landing_page_id": landing_page.id,
                    "mailing_id": mailing.id,
                    "partner_id": partner.id,
                    "res_model": mailing.mailing_model_real,
                    "res_id": res_id,
                    "token_hash": self._hash(token),
                    "expiry": expiry,
                }
            )
        return urls, self.sudo().create(vals_list)

    @api.model
    def _find(self, token):
        """The valid link of ``token`` (not expired, not revoked), or empty."""
        if not token or len(token) > 64:
            return self.sudo().browse()
        return self.sudo().search(
            [
                ("token_hash", "=", self._hash(token)),
                ("revoked", "=", False),
                ("expiry", ">", fields.Datetime.now()),
                ("landing_page_id.active", "=", True),
            ],
            limit=1,
        )

    @api.model
    def _revoke_partners(self, partners):
        """Revoke every link of ``partners`` (opt-out)."""
        if partners:
            self.sudo().search(
                [("partner_id", "in", partners.ids), ("revoked", "=", False)]
            ).write({"revoked": True})

    def _record_touchpoint(self, kind, summary=None):
        """Record a ``visit`` (once a day) or ``booking`` (once) touchpoint."""
        self.ensure_one()
        if not self.partner_id:
            return self.env["optical.touchpoint"]
        now = fields.Datetime.now()
        ref = f"landing-{kind}-{self.id}"
        if kind == "visit":
            ref = f"{ref}-{now.date().isoformat()}"
        return self.env["optical.touchpoint"]._record_once(
            [
                {
                    "partner_id": self.partner_id.id,
                    "datetime": now,
                    "channel": "sms",
                    "kind": kind,
                    "summary": summary or self.landing_page_id.name,
                    "source": "sms_landing",
                    "external_ref": ref,
                    "res_model": self._name,
                    "res_id": self.id,
                    "company_id": self.company_id.id,
                }
            ]
        )

    def _optical_campaign_trace(self):
        """The message of a campaign that carried this link, if any."""
        self.ensure_one()
        link = self.sudo()
        if not link.mailing_id.optical_campaign_id or not link.res_id:
            return self.env["mailing.trace"].sudo()
        return link.env["mailing.trace"].search(
            [
                ("mass_mailing_id", "=", link.mailing_id.id),
                ("model", "=", link.res_model),
                ("res_id", "=", link.res_id),
            ],
            order="id desc",
            limit=1,
        )

    def _book(self, slot, day=None):
        """Visit requested on the page: touchpoint and activity for the shop, once."""
        self.ensure_one()
        link = self.sudo()
        if link.booked_at:
            return False
        link.booked_at = fields.Datetime.now()
        page = link.landing_page_id
        slots = {
            "morning": self.env._("in the morning"),
            "afternoon": self.env._("in the afternoon"),
            "any": self.env._("at any time"),
        }
        when = slots.get(slot, slots["any"])
        if day:
            when = self.env._(
                "%(when)s on %(day)s", when=when, day=fields.Date.to_string(day)
            )
        summary = self.env._("Visit request: %(offer)s", offer=page.name)
        note = self.env._(
            "Requested from the SMS landing page “%(offer)s”: call back to book a "
            "visit "
            "(preferred: %(when)s).",
            offer=page.name,
            when=when,
        )
        trace = link._optical_campaign_trace()
        if trace:  # counted in the results of the campaign that sent the link
            link.env["optical.campaign"]._optical_record_booking(trace, summary=summary)
        else:
            link._record_touchpoint("booking", summary=summary)
        target = link.partner_id or page
        target.activity_schedule(
            "mail.mail_activity_data_call",
            date_deadline=fields.Date.context_today(page),
            summary=summary,
            note=note,
            user_id=(page.user_id or page.create_uid).id,
        )
        return True

    def _opt_out(self):
        """Opt-out from the page: SMS marketing consent revoked, links revoked."""
        self.ensure_one()
        link = self.sudo()
        partner = link.partner_id
        if partner:
            if hasattr(partner, "_optical_record_consent"):
                partner._optical_record_consent(
                    "sms", "marketing", False, "unsubscribe"
                )
            else:
                self.env["optical.consent"].sudo().create(
                    {
                        "partner_id": partner.id,
                        "channel": "sms",
                        "purpose": "marketing",
                        "granted": False,
                        "source": "unsubscribe",
                        "note": link.landing_page_id.name,
                    }
                )
            self._revoke_partners(partner)
        link.revoked = True
