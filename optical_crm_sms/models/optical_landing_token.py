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
    def _revoke_partners(self, partners, company=None):
        """Revoke the links of ``partners`` (opt-out): those of the shop
        ``company``, or of every shop when it is empty."""
        if partners:
            domain = [("partner_id", "in", partners.ids), ("revoked", "=", False)]
            if company:
                domain.append(("company_id", "=", company.id))
            self.sudo().search(domain).write({"revoked": True})

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

    def _trace(self):
        """The trace of the message that carried this link (or empty)."""
        self.ensure_one()
        if not (self.mailing_id and self.res_model):
            return self.env["mailing.trace"].sudo()
        return (
            self.env["mailing.trace"]
            .sudo()
            .search(
                [
                    ("mass_mailing_id", "=", self.mailing_id.id),
                    ("model", "=", self.res_model),
                    ("res_id", "=", self.res_id),
                ],
                order="id desc",
                limit=1,
            )
        )

    def _record_click(self):
        """Opening the page is a click on the message's link: the message's trace
        says so, like Odoo's link tracker does (results count it as clicked)."""
        trace = self._trace()
        if trace and not trace.links_click_datetime:
            trace.set_clicked()
            trace.set_opened()

    def _record_booking(self, summary):
        """The booking touchpoint, once: the campaign's when the link came in a
        campaign message (so that it counts in the campaign's results), else the
        landing page's."""
        self.ensure_one()
        if self.mailing_id.optical_campaign_id:
            booking = self.env["optical.campaign"]._optical_record_booking(
                self._trace(), summary=summary
            )
            if booking:
                return booking
        return self._record_touchpoint("booking", summary=summary)

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
        link._record_booking(summary)
        target = link.partner_id or page
        target.activity_schedule(
            "mail.mail_activity_data_call",
            date_deadline=fields.Date.context_today(page),
            summary=summary,
            note=note,
            user_id=(page.user_id or page.create_uid).id,
        )
        return True

    def _sending_company(self):
        """The shop that sent the message carrying this link."""
        self.ensure_one()
        link = self.sudo()
        company = link.mailing_id and link.mailing_id._optical_sending_company()
        return company or link.company_id

    def _opt_out(self, all_shops=False):
        """Opt-out from the page: SMS marketing consent revoked for the shop that
        sent the message, or for every shop when the customer asks so; the
        consent ledger revokes the links of those shops."""
        self.ensure_one()
        link = self.sudo()
        if link.partner_id:
            company = self.env["res.company"] if all_shops else link._sending_company()
            self.env["res.partner"]._optical_record_unsubscribe(
                [("id", "=", link.partner_id.id)], ("sms",), company=company
            )
        link.revoked = True
