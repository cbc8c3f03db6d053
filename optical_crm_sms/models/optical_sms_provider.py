import logging
import re
import secrets
import threading

from werkzeug.urls import url_join

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools.mail import TEXT_URL_REGEX

from ..tools import providers
from ..tools.phone import normalize_mobile
from ..tools.sms_length import gsm7_replacement, non_gsm7_characters, sms_length

_logger = logging.getLogger(__name__)

MANAGER = "optical_crm.group_optical_manager"
ALIAS_RE = re.compile(r"[A-Za-z0-9 ]{1,11}")
SENDER_NUMBER_RE = re.compile(r"\+?[0-9]{3,15}")
LANDING_LINK_PLACEHOLDER = "/o/" + "x" * 12


class OpticalSmsProvider(models.Model):
    _name = "optical.sms.provider"
    _description = "SMS provider"
    _order = "company_id, active desc, id"
    _check_company_auto = True

    name = fields.Char(required=True)
    provider_type = fields.Selection(
        [
            ("odoo_iap", "Odoo IAP"),
            ("skebby", "Skebby / Esendex (REST API)"),
            ("twilio", "Twilio"),
        ],
        string="Provider",
        required=True,
        default="skebby",
        help="Odoo IAP keeps Odoo's own SMS service; the others send every SMS of "
        "the company through the provider's API.",
    )
    active = fields.Boolean(
        default=True,
        help="The company's active provider sends all its SMS. Only one provider "
        "can be active per company; without one, Odoo IAP is used.",
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    api_url = fields.Char(
        string="API URL",
        compute="_compute_api_url",
        store=True,
        readonly=False,
        help="Base URL of the provider's API: the public one by default; change it "
        "for a white label of the same API.",
    )
    username = fields.Char(groups=MANAGER, copy=False)
    password = fields.Char(groups=MANAGER, copy=False)
    skebby_auth = fields.Selection(
        [("session", "Session key"), ("token", "Access token")],
        string="Authentication",
        default="session",
        required=True,
    )
    skebby_message_type = fields.Selection(
        [
            ("GP", "High quality (GP)"),
            ("TI", "Medium quality (TI)"),
            ("SI", "Low quality (SI)"),
        ],
        string="Message quality",
        default="GP",
        required=True,
        help="Only high quality messages show the sender alias.",
    )
    account_sid = fields.Char(string="Account SID", groups=MANAGER, copy=False)
    auth_token = fields.Char(groups=MANAGER, copy=False)
    sender = fields.Char(
        help="Alphanumeric alias of at most 11 characters (letters, digits, spaces) "
        "or a phone number in international format. An alias cannot receive "
        "replies: marketing SMS then always carry the opt-out link.",
    )
    sender_is_alias = fields.Boolean(compute="_compute_sender_is_alias")
    price_per_segment = fields.Float(
        digits=(12, 4),
        help="Price of one SMS segment (160 GSM-7 or 70 Unicode characters), used "
        "for cost estimates.",
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    timeout = fields.Float(
        string="Timeout (seconds)",
        default=10.0,
        help="How long to wait for the provider's answer before asking it later "
        "whether it got the message.",
    )
    parallel_requests = fields.Integer(
        default=8, help="Requests sent to the provider at the same time."
    )
    max_attempts = fields.Integer(
        default=6,
        help="Sending attempts for temporary failures (server errors, timeouts, rate "
        "limits) before the message is marked as failed.",
    )
    dlr_secret = fields.Char(
        string="Delivery report secret",
        groups=MANAGER,
        copy=False,
        readonly=True,
        default=lambda self: secrets.token_urlsafe(24),
    )
    dlr_url = fields.Char(
        string="Delivery report URL",
        compute="_compute_dlr_url",
        groups=MANAGER,
        help="Give this URL to the provider as delivery report (notification) URL. "
        "Twilio receives it with every message.",
    )

    @api.depends("provider_type")
    def _compute_api_url(self):
        for provider in self:
            if (
                not provider.api_url
                or provider.api_url in providers.DEFAULT_URLS.values()
            ):
                provider.api_url = providers.DEFAULT_URLS.get(
                    provider.provider_type, False
                )

    @api.depends("sender")
    def _compute_sender_is_alias(self):
        for provider in self:
            provider.sender_is_alias = bool(provider._optical_alias())

    @api.depends("provider_type", "dlr_secret")
    def _compute_dlr_url(self):
        for provider in self:
            provider.dlr_url = provider.id and provider._optical_report_url()

    @api.constrains("sender")
    def _check_sender(self):
        for provider in self.filtered("sender"):
            sender = provider.sender
            if provider._optical_alias():
                continue
            if SENDER_NUMBER_RE.fullmatch(sender):
                continue
            raise ValidationError(
                self.env._(
                    "The sender “%(sender)s” is not valid: use an alias of at most 11 "
                    "letters, digits and spaces (with at least one letter), or a phone "
                    "number in international format such as +393331234567.",
                    sender=sender,
                )
            )

    @api.constrains("active", "company_id", "provider_type")
    def _check_one_active_per_company(self):
        for provider in self.filtered("active"):
            others = self.with_context(active_test=True).search_count(
                [
                    ("company_id", "=", provider.company_id.id),
                    ("id", "!=", provider.id),
                ]
            )
            if others:
                raise ValidationError(
                    self.env._(
                        "The company %(company)s already has an active SMS provider: "
                        "archive it before activating “%(provider)s”.",
                        company=provider.company_id.name,
                        provider=provider.name,
                    )
                )

    @api.constrains("active", "provider_type", "sender", "timeout", "parallel_requests")
    def _check_settings(self):
        for provider in self:
            if provider.timeout <= 0 or provider.parallel_requests <= 0:
                raise ValidationError(
                    self.env._(
                        "The timeout and the number of parallel requests of "
                        "“%(provider)s”"
                        " must be positive.",
                        provider=provider.name,
                    )
                )
            if (
                provider.active
                and provider.provider_type == "twilio"
                and not provider.sender
            ):
                raise ValidationError(
                    self.env._(
                        "Twilio needs a sender: one of your Twilio numbers or an "
                        "alphanumeric alias enabled on your account (provider "
                        "“%(provider)s”).",
                        provider=provider.name,
                    )
                )

    @api.constrains("active", "provider_type", "auth_token")
    def _check_twilio_auth_token(self):
        """Twilio's delivery reports are signed with the auth token: an active
        Twilio provider without one could neither send nor check a report."""
        for provider in self.sudo():
            if (
                provider.active
                and provider.provider_type == "twilio"
                and not (provider.auth_token or "").strip()
            ):
                raise ValidationError(
                    self.env._(
                        "The Twilio provider “%(provider)s” needs its auth token "
                        "(Twilio console, Account info).",
                        provider=provider.name,
                    )
                )

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    def _optical_alias(self):
        """The sender when it is an alphanumeric alias (cannot receive replies)."""
        self.ensure_one()
        sender = self.sender or ""
        if ALIAS_RE.fullmatch(sender) and re.search(r"[A-Za-z]", sender):
            return sender
        return False

    def _optical_routes(self):
        """True when this provider sends the company's SMS itself (not IAP)."""
        self.ensure_one()
        return self.active and self.provider_type in ("skebby", "twilio")

    def _optical_base_url(self):
        return (
            self.company_id.get_base_url() if self.company_id else self.get_base_url()
        )

    def _optical_report_url(self, sms_uuid=None):
        """Delivery report URL of this provider (with the SMS uuid for Twilio)."""
        self.ensure_one()
        sudo = self.sudo()
        base = self._optical_base_url()
        if self.provider_type == "skebby":
            return url_join(
                base, f"/optical_sms/dlr/skebby/{self.id}/{sudo.dlr_secret}"
            )
        if self.provider_type == "twilio":
            url = url_join(base, f"/optical_sms/dlr/twilio/{self.id}")
            return f"{url}?ref={sms_uuid}" if sms_uuid else url
        return False

    def _optical_client(self, http):
        """HTTP client of this provider (reads the credentials: call it as sudo)."""
        self.ensure_one()
        sudo = self.sudo()
        timeout = self.timeout or 10.0
        if self.provider_type == "skebby":
            return providers.SkebbyClient(
                http,
                sudo.api_url,
                sudo.username,
                sudo.password,
                auth=self.skebby_auth,
                message_type=self.skebby_message_type,
                timeout=timeout,
                sender=self.sender,
            )
        if self.provider_type == "twilio":
            return providers.TwilioClient(
                http,
                sudo.api_url,
                sudo.account_sid,
                sudo.auth_token,
                timeout=timeout,
                sender=self.sender,
            )
        raise UserError(
            self.env._(
                "%(provider)s does not send SMS through its own API.",
                provider=self.name,
            )
        )

    def _optical_backoff(self, attempt, retry_after=0):
        """Seconds before the next attempt: 1, 2, 4... minutes (at most an hour).

        A Retry-After from the provider is honoured when it asks for longer.
        """
        return max(int(retry_after or 0), min(60 * 2 ** max(attempt - 1, 0), 3600))

    def _optical_run(self, func, items):
        """Run ``func(client, item)`` for every item on parallel connections.

        ``func`` runs in worker threads: it must not touch the ORM. Returns the
        results in the order of ``items``.
        """
        self.ensure_one()
        if not items:
            return []
        size = max(1, min(self.parallel_requests or 1, len(items)))
        http = providers.new_pool(size)
        client = self._optical_client(http)
        results = [None] * len(items)
        todo = iter(enumerate(items))
        lock = threading.Lock()

        def work():
            while True:
                with lock:
                    index, item = next(todo, (None, None))
                if index is None:
                    return
                results[index] = func(client, item)

        try:
            threads = [
                threading.Thread(target=work, name=f"optical-sms-{n}", daemon=True)
                for n in range(size - 1)
            ]
            for thread in threads:
                thread.start()
            work()  # this thread works too
            for thread in threads:
                thread.join()
        finally:
            http.clear()
        return results

    def _optical_call_send(self, items):
        """Send ``items`` (dicts with id, uuid, number, body, callback).

        Numbers are normalised first (mobile only, region of the company): a number
        refused gets a permanent outcome and is never sent; the E.164 number used is
        left in ``item["e164"]``. Returns ``{id: Outcome}``. After a rate limit (429)
        or a refusal that applies to every message (credentials, credit), the
        messages not sent yet are not sent: they get the same outcome.
        """
        self.ensure_one()
        stop = {}
        lock = threading.Lock()
        region = self.company_id.country_id.code

        def send(client, item):
            # normalised here, in parallel with the other calls' network waits
            number = normalize_mobile(item["number"], region)
            if number.error:
                return item["id"], providers.permanent(number.error, number.detail)
            item["e164"] = number.e164
            with lock:
                outcome = stop.get("outcome")
            if outcome and outcome.kind == "temporary":
                # not sent: the attempt does not count
                return item["id"], outcome._replace(kind="deferred")
            if outcome:
                return item["id"], outcome._replace(
                    detail=f"{outcome.detail} (not sent)"
                )
            error = client.login()
            if error:
                outcome = error
            elif client.kind == "twilio":
                outcome = client.send(
                    item["uuid"], number.e164, item["body"], item["callback"]
                )
            else:
                outcome = client.send(item["uuid"], number.e164, item["body"])
            if (outcome.kind == "temporary" and outcome.retry_after) or (
                outcome.kind == "permanent" and outcome.failure in ("account", "credit")
            ):
                with lock:
                    stop.setdefault("outcome", outcome)
            return item["id"], outcome

        return dict(self._optical_run(send, items))

    def _optical_call_lookup(self, items):
        """Ask the provider about ``items`` (id, ref, number, body, since) sent maybe.

        Returns ``{id: Report}``.
        """

        def lookup(client, item):
            error = client.login()
            if error:
                return item["id"], providers.Report(
                    None, False, False, False, error.detail
                )
            return item["id"], client.lookup(
                item["ref"], item["number"], item["body"], item["since"]
            )

        return dict(self._optical_run(lookup, items))

    def _optical_call_status(self, items):
        """Current state of accepted messages ``items`` (id, ref): ``{id: Report}``."""

        def status(client, item):
            error = client.login()
            if error:
                return item["id"], providers.Report(
                    None, False, False, False, error.detail
                )
            return item["id"], client.status_of(item["ref"])

        return dict(self._optical_run(status, items))

    @api.model
    def _optical_for_company(self, company):
        """The company's active provider (sudo), or an empty recordset."""
        if not company:
            return self.sudo().browse()
        return (
            self.sudo()
            .with_context(active_test=True)
            .search([("company_id", "=", company.id)], limit=1)
        )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_regenerate_dlr_secret(self):
        """A new delivery-report secret: the old report URL stops working at once;
        give the new one (shown on the form) to the provider."""
        if not self.env.user.has_group(MANAGER):
            raise AccessError(
                self.env._(
                    "Only Optical CRM managers can change the delivery report secret."
                )
            )
        self.check_access("write")
        for provider in self:
            provider.sudo().dlr_secret = secrets.token_urlsafe(24)
        return True

    def action_test_connection(self):
        self.ensure_one()
        if not self._optical_routes():
            raise UserError(
                self.env._("Only an active Skebby or Twilio provider can be tested.")
            )
        http = providers.new_pool(1)
        client = self.sudo()._optical_client(http)
        error = client.login()
        if not error and client.kind == "twilio":
            report = client.status_of("SM" + "0" * 32)
            if report.found is None:
                error = providers.permanent("account", report.detail)
        if error:
            raise UserError(
                self.env._(
                    "The provider refused the connection: %(detail)s",
                    detail=error.detail,
                )
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._(
                    "Connection to %(provider)s works.", provider=self.name
                ),
            },
        }

    # ------------------------------------------------------------------
    # SMS editors: live length and cost
    # ------------------------------------------------------------------

    @api.model
    def _optical_preview_mailing(self, res_model, res_id):
        """The mailing an SMS editor's text is sent through, or None.

        A mailing itself, or a record sending through one (a campaign, a cycle
        step: anything with a ``mailing_id``); an empty mailing while the record
        is not saved yet, so links and opt-out are counted from the first key.
        """
        if res_model == "mailing.mailing":
            return self.env["mailing.mailing"].browse(res_id or [])
        if not res_model or res_model not in self.env:
            return None
        field = self.env[res_model]._fields.get("mailing_id")
        if not field or field.comodel_name != "mailing.mailing":
            return None
        try:
            return self.env[res_model].browse(res_id or []).mailing_id
        except AccessError:
            return self.env["mailing.mailing"]

    @api.model
    def optical_sms_preview(self, text, res_model=False, res_id=False, options=None):
        """Length, segments, cost and GSM-7 hints of an SMS body being edited.

        Called by the ``sms_widget`` of every SMS editor. For a mailing the text is
        counted as it will be sent: links as shortened links, plus the opt-out link
        (when asked or when the sender is an alias) and the landing page link.
        """
        options = options or {}
        text = text or ""
        sent = text
        company = self.env.company
        provider = self._optical_for_company(company)
        alias = bool(
            provider and provider._optical_routes() and provider._optical_alias()
        )
        mailing = self._optical_preview_mailing(res_model, res_id)
        if mailing is not None:
            try:
                placeholders = mailing.get_sms_link_replacements_placeholders()
            except AccessError:  # read-only user: count the text as it is
                placeholders = None
            if placeholders:
                sent = re.sub(TEXT_URL_REGEX, placeholders["link"], sent)
                if options.get("unsubscribe") or alias:
                    sent += placeholders["unsubscribe"]
                if options.get("landing"):
                    sent += placeholders["landing"]
        length = sms_length(sent)
        price = company._optical_sms_price_per_segment()
        currency = company.currency_id
        return {
            "encoding": length.encoding,
            "units": length.units,
            "segments": length.segments,
            "offending": [
                {"char": char, "replacement": gsm7_replacement(char) or ""}
                for char in non_gsm7_characters(text)
            ],
            "opt_out_forced": alias and mailing is not None,
            "price": price,
            "cost": currency.round(price * length.segments) if price else 0.0,
            "cost_display": currency.format(price * length.segments) if price else "",
            "price_display": currency.format(price) if price else "",
        }
