"""Campaigns: a personalised message to a segment of customers within a period."""

import datetime as dt
import logging
import math
import random
import re
import threading

import pytz
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, html2plaintext
from odoo.tools.mail import TEXT_URL_REGEX

try:  # the SMS helper's GSM-7/UCS-2 counter, when present in optical_crm
    from ..tools.sms_length import sms_length
except ImportError:  # pragma: no cover - depends on the merge order
    sms_length = None

_logger = logging.getLogger(__name__)

CAMPAIGN_CHANNELS = [("sms", "SMS"), ("email", "Email"), ("phone", "Phone call")]
CAMPAIGN_STATES = [
    ("draft", "Draft"),
    ("scheduled", "Scheduled"),
    ("running", "Running"),
    ("done", "Done"),
    ("cancelled", "Cancelled"),
]
MAX_SMS_SEGMENTS = 10
# health data (prescriptions, eye exams) never goes into a message
HEALTH_DATA_MARKERS = (
    "prescription",
    "optical_exam_ids",
    "optical.exam",
    "_sphere",
    "_cylinder",
    "_axis",
    "_addition",
)
# exclusion reasons of the policy, grouped as the campaign reports them
EXCLUSION_GROUPS = {
    "excluded_no_consent": ("no_consent", "consent_revoked"),
    "excluded_no_address": ("no_address", "not_mobile"),
    "excluded_blacklisted": ("blacklisted",),
    "excluded_frequency_cap": ("frequency_cap",),
    "excluded_duplicate": ("duplicate",),
    "excluded_archived": ("archived",),
}
# session-level advisory lock namespace: one worker at a time per campaign
ADVISORY_LOCK_NAMESPACE = 7061
DEFAULT_BATCH_SIZE = 5000
# the audience is screened when the campaign starts; batches sent later than this
# (hourly limit, send window) are screened again
RESCREEN_AFTER = dt.timedelta(minutes=10)
DEFAULT_MAX_BATCHES = 50

# GSM 03.38 basic character set and extension table (counted twice), for the
# fallback segment estimate used only without the SMS helper's counter.
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")


def estimate_sms_segments(text):
    """Segments of an SMS: GSM-7 (160, or 153 per part) or UCS-2 (70, or 67)."""
    text = text or ""
    if all(char in GSM7_BASIC or char in GSM7_EXTENDED for char in text):
        units = len(text) + sum(char in GSM7_EXTENDED for char in text)
        single, part = 160, 153
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, part = 70, 67
    if units <= single:
        return 1 if units else 0
    return math.ceil(units / part)


class OpticalCampaign(models.Model):
    _name = "optical.campaign"
    _description = "Marketing campaign"
    _inherit = ["mail.thread"]
    _order = "date_start desc, id desc"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True)
    is_template = fields.Boolean(
        string="Template",
        readonly=True,
        copy=False,
        help="A ready-made campaign: use it to create a campaign of your own.",
    )
    template_id = fields.Many2one(
        "optical.campaign", string="Created from", readonly=True, copy=False
    )
    company_id = fields.Many2one(
        "res.company",
        string="Shop",
        index=True,
        default=lambda self: self.env.company,
        tracking=True,
    )
    currency_id = fields.Many2one(
        "res.currency",
        compute="_compute_currency_id",
    )
    state = fields.Selection(
        CAMPAIGN_STATES,
        required=True,
        default="draft",
        readonly=True,
        copy=False,
        tracking=True,
        index=True,
        group_expand=True,
    )
    channel = fields.Selection(
        CAMPAIGN_CHANNELS, required=True, default="sms", tracking=True
    )
    message_kind = fields.Selection(
        [("sms", "SMS"), ("mail", "Email"), ("phone", "Phone call")],
        compute="_compute_message_kind",
        help="What the channel sends: an SMS or an email mailing, or calls.",
    )
    segment_id = fields.Many2one(
        "optical.segment",
        string="Customers",
        check_company=True,
        ondelete="restrict",
        tracking=True,
    )
    date_start = fields.Date(
        string="From",
        required=True,
        default=fields.Date.context_today,
        tracking=True,
    )
    date_end = fields.Date(
        string="To",
        required=True,
        default=lambda self: fields.Date.context_today(self) + relativedelta(days=30),
        tracking=True,
    )
    schedule_date = fields.Datetime(
        string="Send from",
        copy=False,
        tracking=True,
        help="When sending starts (inside the period); empty: at the start of "
        "the period. Messages go out only inside the shop's send window.",
    )
    date_started = fields.Datetime(string="Started on", readonly=True, copy=False)
    date_done = fields.Datetime(string="Finished on", readonly=True, copy=False)
    control_percent = fields.Float(
        string="Control group (%)",
        digits=(5, 1),
        help="Share of the customers who could receive the campaign held out on "
        "purpose, chosen at random: their purchases show what would have happened "
        "without the campaign (uplift).",
    )
    # content: a mailing.mailing for SMS and email
    mailing_id = fields.Many2one(
        "mailing.mailing", string="Content", copy=False, ondelete="set null"
    )
    sms_body = fields.Text(
        related="mailing_id.body_plaintext", string="SMS text", readonly=False
    )
    # not named like the mailing's field: the SMS widget reads that name on any model
    sms_optout_link = fields.Boolean(
        related="mailing_id.sms_allow_unsubscribe",
        string="Opt-out link",
        readonly=False,
    )
    email_subject = fields.Char(
        string="Subject", help="Subject of the email (placeholders allowed)."
    )
    email_body = fields.Html(
        string="Email",
        compute="_compute_email_body",
        inverse="_inverse_email_body",
        sanitize=False,
    )
    # phone
    activity_type_id = fields.Many2one(
        "mail.activity.type",
        string="Activity type",
        default=lambda self: self.env.ref(
            "mail.mail_activity_data_call", raise_if_not_found=False
        ),
    )
    call_script = fields.Html(
        help="What to say on the phone; shown in every call activity."
    )
    caller_ids = fields.Many2many(
        "res.users",
        string="Callers",
        default=lambda self: self._default_caller_ids(),
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
        help="Staff the calls are shared among, in turn.",
    )
    recipient_ids = fields.One2many("optical.campaign.recipient", "campaign_id")

    # ------------------------------------------------------------------ results
    # Stored to compare campaigns (list, pivot, graph); refreshed while sending,
    # by a scheduled action during the attribution window, and on demand.
    audience_count = fields.Integer(string="Audience", readonly=True, copy=False)
    excluded_count = fields.Integer(string="Excluded", readonly=True, copy=False)
    excluded_no_consent = fields.Integer(
        string="Excluded: no consent", readonly=True, copy=False
    )
    excluded_no_address = fields.Integer(
        string="Excluded: no valid mobile or email", readonly=True, copy=False
    )
    excluded_blacklisted = fields.Integer(
        string="Excluded: blacklisted", readonly=True, copy=False
    )
    excluded_frequency_cap = fields.Integer(
        string="Excluded: frequency cap", readonly=True, copy=False
    )
    excluded_duplicate = fields.Integer(
        string="Excluded: same person twice", readonly=True, copy=False
    )
    excluded_archived = fields.Integer(
        string="Excluded: archived", readonly=True, copy=False
    )
    pending_count = fields.Integer(string="To send", readonly=True, copy=False)
    cancelled_count = fields.Integer(string="Cancelled", readonly=True, copy=False)
    handed_count = fields.Integer(
        string="Handed over",
        readonly=True,
        copy=False,
        help="Messages handed to the sending queue (calls: handed to the staff).",
    )
    sent_count = fields.Integer(
        string="Sent",
        readonly=True,
        copy=False,
        help="Messages that left the shop (calls: handed to the staff).",
    )
    delivered_count = fields.Integer(
        string="Delivered",
        readonly=True,
        copy=False,
        help="Messages delivered (calls: customers reached).",
    )
    failed_count = fields.Integer(
        string="Failed",
        readonly=True,
        copy=False,
        help="Messages refused or not delivered (calls: customers not reached).",
    )
    clicked_count = fields.Integer(string="Clicked", readonly=True, copy=False)
    opted_out_count = fields.Integer(string="Opted out", readonly=True, copy=False)
    booked_count = fields.Integer(string="Booked", readonly=True, copy=False)
    converted_count = fields.Integer(string="Converted", readonly=True, copy=False)
    revenue = fields.Monetary(
        readonly=True,
        copy=False,
        help="Untaxed sales of any kind (invoices, sales receipts, point of sale, "
        "purchases from other systems), less refunds, made within the "
        "attribution window after the message, last touch.",
    )
    control_count = fields.Integer(string="Control group", readonly=True, copy=False)
    control_converted_count = fields.Integer(
        string="Control converted", readonly=True, copy=False
    )
    control_revenue = fields.Monetary(
        string="Control revenue", readonly=True, copy=False
    )
    conversion_rate = fields.Float(
        string="Conversion (%)", digits=(5, 1), readonly=True, copy=False
    )
    control_conversion_rate = fields.Float(
        string="Control conversion (%)",
        digits=(5, 1),
        readonly=True,
        copy=False,
        aggregator="avg",
    )
    uplift = fields.Float(
        string="Uplift (points)",
        digits=(5, 1),
        readonly=True,
        copy=False,
        aggregator="avg",
        help="Conversion of the contacted customers minus conversion of the "
        "control group, in percentage points.",
    )
    incremental_revenue = fields.Monetary(
        string="Incremental revenue",
        readonly=True,
        copy=False,
        help="Revenue beyond what the contacted customers would have spent at the "
        "control group's rate.",
    )
    results_date = fields.Datetime(string="Results as of", readonly=True, copy=False)
    failure_summary = fields.Html(
        string="Failures by reason", compute="_compute_failure_summary"
    )

    _sql_constraints = [
        (
            "company_unless_template",
            "CHECK(is_template OR company_id IS NOT NULL)",
            "A campaign belongs to a shop.",
        ),
    ]

    # ------------------------------------------------------------------ compute
    @api.depends("channel")
    def _compute_message_kind(self):
        for campaign in self:
            campaign.message_kind = (
                campaign._optical_mailing_type_for(campaign.channel) or "phone"
            )

    @api.depends("company_id")
    def _compute_currency_id(self):
        for campaign in self:
            campaign.currency_id = (
                campaign.company_id.currency_id or self.env.company.currency_id
            )

    @api.depends("mailing_id.body_html")
    def _compute_email_body(self):
        for campaign in self:
            campaign.email_body = campaign.mailing_id.sudo().body_html

    def _inverse_email_body(self):
        for campaign in self.filtered("mailing_id"):
            # what is sent (body_html) and what Odoo's editor opens (body_arch)
            campaign.mailing_id.sudo().write(
                {"body_html": campaign.email_body, "body_arch": campaign.email_body}
            )

    def _compute_failure_summary(self):
        labels = dict(
            self.env["mailing.trace"]
            ._fields["failure_type"]
            ._description_selection(self.env)
        )
        for campaign in self:
            rows = campaign._optical_failures_by_reason() if campaign.id else []
            if not rows:
                campaign.failure_summary = False
                continue
            lines = "".join(
                f"<tr><td>{labels.get(reason) or reason or '-'}</td>"
                f"<td class='text-end'>{count}</td></tr>"
                for reason, count in rows
            )
            campaign.failure_summary = f"<table class='table table-sm'>{lines}</table>"

    @api.model
    def _default_caller_ids(self):
        """The shop's staff: internal users of the Optical CRM of this shop."""
        return (
            self.env.ref("optical_crm.group_optical_user")
            .sudo()
            .users.filtered(lambda u: not u.share and self.env.company in u.company_ids)
        )

    # ------------------------------------------------------------------ checks
    @api.constrains("date_start", "date_end")
    def _check_period(self):
        for campaign in self:
            if campaign.date_end < campaign.date_start:
                raise ValidationError(
                    self.env._(
                        "Campaign %(name)s ends (%(end)s) before it starts "
                        "(%(start)s).",
                        name=campaign.name,
                        end=campaign.date_end,
                        start=campaign.date_start,
                    )
                )

    @api.constrains("control_percent")
    def _check_control_percent(self):
        for campaign in self:
            if not 0 <= campaign.control_percent <= 50:
                raise ValidationError(
                    self.env._(
                        "The control group of campaign %(name)s is between 0%% and "
                        "50%% of the audience.",
                        name=campaign.name,
                    )
                )

    @api.constrains("schedule_date", "date_start", "date_end")
    def _check_schedule_date(self):
        for campaign in self.filtered("schedule_date"):
            day = campaign._optical_local_date(campaign.schedule_date)
            if not campaign.date_start <= day <= campaign.date_end:
                raise ValidationError(
                    self.env._(
                        "Campaign %(name)s is scheduled on %(day)s, outside its "
                        "period (%(start)s to %(end)s).",
                        name=campaign.name,
                        day=day,
                        start=campaign.date_start,
                        end=campaign.date_end,
                    )
                )

    # ------------------------------------------------------------------ CRUD
    @api.model
    def _optical_mailing_type_for(self, channel):
        """``mailing.mailing`` type carrying a channel's content (False: none)."""
        return {"sms": "sms", "email": "mail"}.get(channel, False)

    @api.model
    def _optical_new_mailing(self, channel, name):
        return (
            self.env["mailing.mailing"]
            .sudo()
            .create(
                {
                    "subject": name or "/",
                    "mailing_type": self._optical_mailing_type_for(channel),
                    "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
                    "mailing_domain": "[]",
                    "keep_archives": False,
                    "sms_allow_unsubscribe": True,
                    "body_plaintext": False,
                }
            )
        )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            channel = vals.get("channel", "sms")
            if not vals.get("mailing_id") and self._optical_mailing_type_for(channel):
                vals["mailing_id"] = self._optical_new_mailing(
                    channel, vals.get("name")
                ).id
        campaigns = super().create(vals_list)
        campaigns._optical_sync_mailing()
        return campaigns

    def write(self, vals):
        if vals.get("channel") and self._optical_mailing_type_for(vals["channel"]):
            for campaign in self.filtered(lambda c: not c.mailing_id):
                campaign.mailing_id = self._optical_new_mailing(
                    vals["channel"], vals.get("name") or campaign.name
                )
        if self._optical_locked_fields() & set(vals) and self.filtered(
            lambda c: c.state not in ("draft", "scheduled")
        ):
            raise UserError(
                self.env._(
                    "A campaign that started sending keeps its channel, customers, "
                    "shop, control group and message."
                )
            )
        result = super().write(vals)
        if self._optical_mailing_fields() & set(vals):
            self._optical_sync_mailing()
        return result

    @api.model
    def _optical_locked_fields(self):
        """Fields a campaign keeps once it started sending (extend per channel)."""
        return {
            "channel",
            "segment_id",
            "company_id",
            "control_percent",
            "sms_body",
            "email_subject",
            "email_body",
        }

    @api.model
    def _optical_mailing_fields(self):
        """Fields whose change is copied to the mailing (see
        ``_optical_prepare_mailing_values``)."""
        return {
            "name",
            "channel",
            "segment_id",
            "active",
            "mailing_id",
            "email_subject",
        }

    def copy(self, default=None):
        default = dict(default or {})
        new = self.browse()
        for campaign in self:
            values = dict(default)
            if "mailing_id" not in values and campaign.mailing_id:
                values["mailing_id"] = (
                    campaign.mailing_id.sudo().copy({"active": True}).id
                )
            new |= super(OpticalCampaign, campaign).copy(values)
        return new

    @api.ondelete(at_uninstall=False)
    def _unlink_except_started(self):
        if self.filtered(lambda c: c.state in ("running", "done")):
            raise UserError(
                self.env._(
                    "A campaign that sent messages cannot be deleted: archive it."
                )
            )

    def unlink(self):
        mailings = self.mailing_id
        result = super().unlink()
        mailings.sudo().filtered(lambda m: not m.mailing_trace_ids).unlink()
        return result

    def _optical_prepare_mailing_values(self):
        """Values the campaign imposes on its mailing (override per channel)."""
        self.ensure_one()
        values = {
            "mailing_type": self._optical_mailing_type_for(self.channel),
            "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
            "mailing_domain": repr(
                [("optical_segment_filter", "=", self.segment_id.id)]
                if self.segment_id
                else [("id", "=", False)]
            ),
            "optical_campaign_id": self.id,
            "active": self.active and not self.is_template,
        }
        if values["mailing_type"] == "sms":
            values["subject"] = self.name  # the internal title of an SMS mailing
        else:
            values["subject"] = self.email_subject or self.name
        return values

    def _optical_sync_mailing(self):
        for campaign in self.filtered(
            lambda c: c.mailing_id and c._optical_mailing_type_for(c.channel)
        ):
            campaign.mailing_id.sudo().write(campaign._optical_prepare_mailing_values())

    # ------------------------------------------------------------------ time
    def _optical_tz(self):
        self.ensure_one()
        company = self.company_id or self.env.company
        return pytz.timezone(company._optical_send_calendar().tz or "Europe/Rome")

    def _optical_local_date(self, when):
        """The shop's calendar day of a naive UTC datetime."""
        return pytz.utc.localize(when).astimezone(self._optical_tz()).date()

    def _optical_day_start(self, day):
        """Midnight of ``day`` in the shop's timezone, as naive UTC."""
        local = self._optical_tz().localize(dt.datetime.combine(day, dt.time.min))
        return local.astimezone(pytz.utc).replace(tzinfo=None)

    # ------------------------------------------------------------------ audience
    def _optical_policy_channel(self):
        """Channel whose consent, address and cap apply (override per channel)."""
        self.ensure_one()
        return {"sms": "sms", "email": "email", "phone": "phone"}.get(
            self.channel, self.channel
        )

    def _optical_uses_throttle(self):
        """Calls are made by people: the hourly message limit does not apply."""
        self.ensure_one()
        return self.channel != "phone"

    def _optical_audience(self, at=None):
        """The segment now, screened by the contact policy.

        :return: ``(partners, {partner_id: False | exclusion reason})``
        """
        self.ensure_one()
        if not self.segment_id:
            return self.env["res.partner"], {}
        company = self.company_id or self.env.company
        partners = self.segment_id.with_company(company)._optical_partners(company)
        screen = self.env["optical.contact.policy"]._optical_screen(
            partners,
            self._optical_policy_channel(),
            "marketing",
            company=company,
            at=at or fields.Datetime.now(),
        )
        return partners, screen

    @api.model
    def _optical_count_exclusions(self, reasons):
        """``{excluded_<group>: count}`` from a list of exclusion reasons."""
        counts = {fname: 0 for fname in EXCLUSION_GROUPS}
        for reason in reasons:
            for fname, members in EXCLUSION_GROUPS.items():
                if reason in members:
                    counts[fname] += 1
        return counts

    def _optical_control_size(self, eligible):
        self.ensure_one()
        return int(round(eligible * (self.control_percent or 0.0) / 100.0))

    # ------------------------------------------------------------------ content
    def _optical_render_samples(self, partners):
        """Rendered messages for ``partners``: ``[(partner, subject, body)]``."""
        self.ensure_one()
        if not partners:
            return []
        company = self.company_id or self.env.company
        mailing = self.mailing_id.with_company(company).sudo()
        if self.channel == "phone":
            script = html2plaintext(self.call_script or "")
            return [(partner, self.name, script) for partner in partners]
        if mailing.mailing_type == "sms":
            bodies = (
                self.env["mail.render.mixin"]
                .with_company(company)
                ._render_template(
                    mailing.body_plaintext or "", "res.partner", partners.ids
                )
            )
            return [(partner, False, bodies[partner.id]) for partner in partners]
        subjects = mailing._render_field("subject", partners.ids, compute_lang=True)
        bodies = mailing._render_field("body_html", partners.ids, compute_lang=True)
        return [
            (partner, subjects[partner.id], bodies[partner.id]) for partner in partners
        ]

    def _optical_sms_text_as_sent(self, body):
        """The SMS as it will leave: links shortened, opt-out link appended."""
        self.ensure_one()
        mailing = self.mailing_id.sudo()
        placeholders = mailing.get_sms_link_replacements_placeholders()
        text = re.sub(TEXT_URL_REGEX, placeholders["link"], body or "")
        if mailing.sms_allow_unsubscribe:
            text += placeholders["unsubscribe"]
        return text

    @api.model
    def _optical_sms_segments(self, text):
        """Number of SMS parts of ``text`` (the SMS helper's counter if present)."""
        if sms_length is not None:
            return sms_length(text).segments
        return estimate_sms_segments(text)

    def _optical_sms_price(self):
        """Price of one SMS segment for the shop (its provider's, 0 without)."""
        self.ensure_one()
        company = self.company_id or self.env.company
        price = getattr(company, "_optical_sms_price_per_segment", None)
        return price() if price else 0.0

    def _optical_check_content(self, samples=None):
        """Errors in the content, channel by channel; ``[]`` when ready."""
        self.ensure_one()
        errors = []
        if self.channel == "phone":
            if not self.caller_ids:
                errors.append(self.env._("Choose who makes the calls (callers)."))
            return errors
        mailing = self.mailing_id
        if not mailing:
            return [self.env._("The campaign has no content.")]
        content = " ".join(
            (
                mailing.body_plaintext or "",
                self.email_subject or "",
                mailing.body_html or "",
            )
        ).lower()
        if any(marker in content for marker in HEALTH_DATA_MARKERS):
            errors.append(
                self.env._(
                    "The message refers to prescriptions or eye exams: health data "
                    "never goes into an SMS or an email."
                )
            )
        if mailing.mailing_type == "sms":
            if not (mailing.body_plaintext or "").strip():
                errors.append(self.env._("Write the text of the SMS."))
            elif samples:
                segments = max(
                    self._optical_sms_segments(self._optical_sms_text_as_sent(body))
                    for _partner, _subject, body in samples
                )
                if segments > MAX_SMS_SEGMENTS:
                    errors.append(
                        self.env._(
                            "The SMS is %(segments)s parts long; at most "
                            "%(max)s are allowed: shorten the text.",
                            segments=segments,
                            max=MAX_SMS_SEGMENTS,
                        )
                    )
        else:
            if not (self.email_subject or "").strip():
                errors.append(self.env._("An email needs a subject."))
            if not html2plaintext(mailing.body_html or "").strip():
                errors.append(self.env._("Write the text of the email."))
        return errors

    def _optical_check_consent_configured(self):
        """Whether the shop records marketing consent for the channel at all."""
        self.ensure_one()
        company = self.company_id or self.env.company
        self.env["optical.consent"].flush_model()
        return bool(
            self.env.execute_query(
                SQL(
                    "SELECT 1 FROM optical_consent WHERE channel = %s "
                    "AND purpose = 'marketing' "
                    "AND (company_id IS NULL OR company_id = %s) LIMIT 1",
                    self._optical_policy_channel(),
                    company.id,
                )
            )
        )

    def _optical_check_ready(self):
        """Everything that must hold before a campaign may be scheduled.

        :return: the audience screened now, ``(partners, screen)``
        """
        self.ensure_one()
        if not self.segment_id:
            raise UserError(
                self.env._(
                    "Choose the customers of campaign %(name)s (segment).",
                    name=self.name,
                )
            )
        now = fields.Datetime.now()
        today = self._optical_local_date(now)
        if self.date_end < today:
            raise UserError(
                self.env._(
                    "The period of campaign %(name)s ended on %(end)s: choose new "
                    "dates.",
                    name=self.name,
                    end=self.date_end,
                )
            )
        if self.schedule_date:
            self._check_schedule_date()
        if not self._optical_check_consent_configured():
            channel = dict(self._fields["channel"]._description_selection(self.env))
            raise UserError(
                self.env._(
                    "No customer has a marketing consent recorded for %(channel)s: "
                    "record (or import) the customers' consents before sending a "
                    "campaign on this channel.",
                    channel=channel.get(self.channel, self.channel),
                )
            )
        partners, screen = self._optical_audience(now)
        if not partners:
            raise UserError(
                self.env._(
                    "The segment %(segment)s has no customers: nobody would receive "
                    "campaign %(name)s.",
                    segment=self.segment_id.name,
                    name=self.name,
                )
            )
        eligible = [pid for pid, reason in screen.items() if not reason]
        if not eligible:
            labels = dict(
                self.env["optical.campaign.recipient"]
                ._fields["reason"]
                ._description_selection(self.env)
            )
            counts = {}
            for reason in screen.values():
                counts[labels[reason]] = counts.get(labels[reason], 0) + 1
            raise UserError(
                self.env._(
                    "Nobody can receive campaign %(name)s: all %(count)s customers of "
                    "the segment are excluded (%(details)s).",
                    name=self.name,
                    count=len(partners),
                    details=", ".join(
                        f"{label}: {count}" for label, count in sorted(counts.items())
                    ),
                )
            )
        samples = self._optical_render_samples(partners.browse(eligible[:3]))
        errors = self._optical_check_content(samples)
        if errors:
            raise UserError("\n".join(errors))
        return partners, screen

    # ------------------------------------------------------------------ actions
    def action_preview(self):
        self.ensure_one()
        preview = self.env["optical.campaign.preview"].create({"campaign_id": self.id})
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Preview of %(name)s", name=self.name),
            "res_model": "optical.campaign.preview",
            "res_id": preview.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_edit_content(self):
        """Open the content in Odoo's mailing editor."""
        self.ensure_one()
        if not self.mailing_id:
            raise UserError(self.env._("A phone campaign has no message content."))
        return {
            "type": "ir.actions.act_window",
            "res_model": "mailing.mailing",
            "res_id": self.mailing_id.id,
            "view_mode": "form",
            "target": "current",
        }

    def action_schedule(self):
        now = fields.Datetime.now()
        for campaign in self:
            if campaign.state != "draft":
                raise UserError(
                    self.env._(
                        "Only a draft campaign can be scheduled (%(name)s).",
                        name=campaign.name,
                    )
                )
            audience = campaign._optical_check_ready()
            when = max(
                campaign.schedule_date
                or campaign._optical_day_start(campaign.date_start),
                now,
            )
            campaign.write({"state": "scheduled", "schedule_date": when})
            if when <= now and campaign._optical_can_send_now(now):
                # due now: freeze the audience screened above at once, the
                # scheduled action sends it
                campaign._optical_start(now, audience=audience)
            self.env.ref("optical_crm.ir_cron_optical_campaign_send")._trigger(when)
        return True

    def _optical_can_send_now(self, now):
        self.ensure_one()
        today = self._optical_local_date(now)
        slot = self.env["optical.contact.policy"]._optical_next_send_slot(
            self.company_id, now
        )
        return self.date_start <= today <= self.date_end and slot == now

    def action_draft(self):
        for campaign in self:
            if campaign.state != "scheduled":
                raise UserError(
                    self.env._(
                        "Only a scheduled campaign that has not started can go back "
                        "to draft (%(name)s).",
                        name=campaign.name,
                    )
                )
        self.write({"state": "draft"})
        return True

    def action_send_now(self):
        """Ask the scheduled action to process these campaigns as soon as possible."""
        self.env.ref("optical_crm.ir_cron_optical_campaign_send")._trigger()
        return True

    def action_cancel(self):
        for campaign in self:
            if campaign.state in ("done", "cancelled"):
                raise UserError(
                    self.env._(
                        "Campaign %(name)s is already finished.", name=campaign.name
                    )
                )
        for campaign in self:
            campaign._optical_cancel_queued("campaign_cancelled")
            campaign._optical_set_pending("cancelled", "campaign_cancelled")
        self.write({"state": "cancelled", "date_done": fields.Datetime.now()})
        self.filtered("recipient_ids")._optical_compute_results()
        return True

    def action_refresh_results(self):
        self._optical_compute_results()
        return True

    def action_use_template(self):
        """A new draft campaign of the current shop from a ready-made one."""
        self.ensure_one()
        date_start, date_end = self._optical_next_period()
        company = self.env.company
        segment = self.segment_id
        if segment:
            segment = segment.copy(
                {"active": True, "company_id": company.id, "name": segment.name}
            )
        campaign = self.copy(
            {
                "name": self.name,
                "active": True,
                "company_id": company.id,
                "segment_id": segment.id,
                "date_start": date_start,
                "date_end": date_end,
                "template_id": self.id,
            }
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "optical.campaign",
            "res_id": campaign.id,
            "view_mode": "form",
            "target": "current",
        }

    def _optical_next_period(self):
        """The template's period moved to its next occurrence (from today on)."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        span = self.date_end - self.date_start
        for years in range(today.year - self.date_start.year, 200):
            start = self.date_start + relativedelta(years=years)
            if start + span >= today:
                return max(start, today), start + span
        return today, today + span  # pragma: no cover

    def action_view_recipients(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Audience of %(name)s", name=self.name),
            "res_model": "optical.campaign.recipient",
            "view_mode": "list,pivot,graph,form",
            "domain": [("campaign_id", "=", self.id)],
            "context": {"search_default_group_state": 1, "create": False},
        }

    def action_view_failures(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Failures of %(name)s", name=self.name),
            "res_model": "mailing.trace",
            "view_mode": "list,form",
            "domain": [
                ("mass_mailing_id", "=", self.mailing_id.id),
                ("trace_status", "in", ("error", "bounce", "cancel")),
            ],
            "context": {"group_by": "failure_type", "create": False},
        }

    def action_compare(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Campaign comparison"),
            "res_model": "optical.campaign",
            "view_mode": "pivot,graph,list",
            "views": [
                (self.env.ref("optical_crm.optical_campaign_view_pivot").id, "pivot"),
                (self.env.ref("optical_crm.optical_campaign_view_graph").id, "graph"),
                (self.env.ref("optical_crm.optical_campaign_view_list").id, "list"),
            ],
            "domain": [("id", "in", self.ids)],
            "context": {"pivot_column_groupby": ["name"]},
        }

    # ------------------------------------------------------------------ sending
    @api.model
    def _cron_send(self, max_batches=None):
        """Send what is due, campaign by campaign, in bounded batches."""
        now = fields.Datetime.now()
        campaigns = self.sudo().search(
            [
                ("state", "in", ("scheduled", "running")),
                ("schedule_date", "<=", now),
            ],
            order="schedule_date, id",
        )
        for campaign in campaigns:
            try:
                campaign.with_company(campaign.company_id)._optical_process(
                    max_batches=max_batches
                )
            except Exception:
                if not self._optical_auto_commit():
                    raise
                # one broken campaign does not hold the others back
                _logger.exception("Campaign %s could not be processed", campaign.id)

    def _optical_auto_commit(self):
        return not getattr(threading.current_thread(), "testing", False)

    def _optical_commit(self):
        if self._optical_auto_commit():
            self.env.cr.commit()  # pylint: disable=invalid-commit

    def _optical_process(self, max_batches=None):
        """Process one campaign, if no other worker is processing it."""
        self.ensure_one()
        [(locked,)] = self.env.execute_query(
            SQL("SELECT pg_try_advisory_lock(%s, %s)", ADVISORY_LOCK_NAMESPACE, self.id)
        )
        if not locked:
            _logger.info("Campaign %s is being sent by another worker", self.id)
            return
        unlock = SQL(
            "SELECT pg_advisory_unlock(%s, %s)", ADVISORY_LOCK_NAMESPACE, self.id
        )
        try:
            self._optical_process_locked(max_batches=max_batches)
        except Exception:
            if self._optical_auto_commit():
                self.env.cr.rollback()
                self.env.execute_query(unlock)
            raise
        self.env.execute_query(unlock)

    def _optical_batch_settings(self):
        params = self.env["ir.config_parameter"].sudo()
        batch_size = int(
            params.get_param("optical_crm.campaign_batch_size", DEFAULT_BATCH_SIZE)
        )
        max_batches = int(
            params.get_param("optical_crm.campaign_max_batches", DEFAULT_MAX_BATCHES)
        )
        return max(batch_size, 1), max(max_batches, 1)

    def _optical_process_locked(self, max_batches=None):
        cron = self.env.ref("optical_crm.ir_cron_optical_campaign_send")
        policy = self.env["optical.contact.policy"]
        company = self.company_id
        batch_size, default_max = self._optical_batch_settings()
        max_batches = max_batches or default_max
        batches = 0
        while True:
            self.invalidate_recordset()
            if self.state not in ("scheduled", "running"):
                return
            now = fields.Datetime.now()
            today = self._optical_local_date(now)
            if today > self.date_end:
                self._optical_finish("period_over")
                return
            if today < self.date_start:
                cron._trigger(self._optical_day_start(self.date_start))
                return
            if self.state == "running" and not self._optical_has_pending():
                # everything handed over: done once the channel's queue is empty
                # (until then the campaign can still be cancelled)
                if self._optical_is_finished():
                    self._optical_finish()
                    self._optical_commit()
                return
            slot = policy._optical_next_send_slot(company, now)
            if not slot:
                self.message_post(
                    body=self.env._(
                        "No opening of the send window in the next three weeks: "
                        "check the shop's send window."
                    )
                )
                cron._trigger(now + relativedelta(days=1))
                return
            if slot > now:
                cron._trigger(slot)
                return
            if self.state == "scheduled":
                self._optical_start(now)
                self._optical_commit()
                continue
            size = batch_size
            if self._optical_uses_throttle():
                quota = policy._optical_hourly_quota(company, now)
                if quota is not None:
                    if quota <= 0:
                        next_hour = now.replace(
                            minute=0, second=0, microsecond=0
                        ) + relativedelta(hours=1)
                        cron._trigger(
                            policy._optical_next_send_slot(company, next_hour)
                            or next_hour
                        )
                        return
                    size = min(size, quota)
            if not self._optical_send_next_batch(size, now):
                continue
            self._optical_trigger_queue()
            self._optical_commit()
            batches += 1
            if batches >= max_batches:
                cron._trigger()
                return

    def _optical_has_pending(self):
        self.ensure_one()
        self.env["optical.campaign.recipient"].flush_model()
        return bool(
            self.env.execute_query(
                SQL(
                    "SELECT 1 FROM optical_campaign_recipient "
                    "WHERE campaign_id = %s AND state = 'pending' LIMIT 1",
                    self.id,
                )
            )
        )

    def _optical_is_finished(self):
        """Whether nothing of the campaign waits any more: messages left the
        queue, calls got an outcome (override per channel)."""
        self.ensure_one()
        if self.channel == "phone":
            return not self.recipient_ids.filtered(
                lambda r: r.state == "sent" and not r.call_outcome
            )
        if not self.mailing_id:
            return True
        model = {"sms": "sms.sms", "mail": "mail.mail"}[self.mailing_id.mailing_type]
        return (
            not self.env[model]
            .sudo()
            .search_count(
                [("mailing_id", "=", self.mailing_id.id), ("state", "=", "outgoing")],
                limit=1,
            )
        )

    def _optical_start(self, now, audience=None):
        """Freeze the audience: one row per customer, excluded ones with reason,
        the control group held out (and logged, to measure the uplift).

        :param audience: ``(partners, screen)`` just computed by
            ``_optical_audience`` at ``now``, if at hand
        """
        self.ensure_one()
        partners, screen = audience or self._optical_audience(now)
        eligible = [pid for pid in partners.ids if not screen[pid]]
        control = set(
            random.sample(eligible, self._optical_control_size(len(eligible)))
        )
        ids, states, reasons = [], [], []
        for pid in partners.ids:
            ids.append(pid)
            if screen[pid]:
                states.append("excluded")
                reasons.append(screen[pid])
            else:
                states.append("control" if pid in control else "pending")
                reasons.append(None)
        self.env["optical.campaign.recipient"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO optical_campaign_recipient
                       (campaign_id, company_id, partner_id, state, reason,
                        create_uid, create_date, write_uid, write_date)
                SELECT %(campaign)s, %(company)s, v.partner_id, v.state, v.reason,
                       %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM unnest(%(ids)s::int[], %(states)s::varchar[],
                              %(reasons)s::varchar[]) AS v(partner_id, state, reason)
                ON CONFLICT (campaign_id, partner_id) DO NOTHING
                """,
                campaign=self.id,
                company=self.company_id.id,
                uid=self.env.uid,
                now=now,
                ids=ids,
                states=states,
                reasons=reasons,
            )
        )
        self.env["optical.campaign.recipient"].invalidate_model()
        if control:
            self.env["optical.contact.policy"]._optical_log_sent(
                [
                    {
                        "partner_id": pid,
                        "company_id": self.company_id.id,
                        "channel": self._optical_policy_channel(),
                        "purpose": "marketing",
                        "datetime": now,
                        "is_control": True,
                        "res_model": self._name,
                        "res_id": self.id,
                        "mailing_id": self.mailing_id.id,
                    }
                    for pid in sorted(control)
                ]
            )
        self.write({"state": "running", "date_started": now})
        self._optical_compute_results()

    def _optical_send_next_batch(self, size, now):
        """Send the next ``size`` pending messages; False when none is left."""
        self.ensure_one()
        Recipient = self.env["optical.campaign.recipient"].sudo()
        Recipient.flush_model()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT id, partner_id FROM optical_campaign_recipient
                 WHERE campaign_id = %s AND state = 'pending'
                 ORDER BY id LIMIT %s
                   FOR NO KEY UPDATE SKIP LOCKED
                """,
                self.id,
                size,
            )
        )
        if not rows:
            return False
        partner_of = dict(rows)
        recipients = Recipient.browse(list(partner_of))
        # a previous run that stopped half-way may have sent some already
        results = self._optical_existing_deliveries(recipients)
        todo = [rid for rid in partner_of if rid not in results]
        if not self.date_started or now - self.date_started > RESCREEN_AFTER:
            # consent, blacklist or cap may have changed since the start
            screen = self.env["optical.contact.policy"]._optical_screen(
                self.env["res.partner"].browse([partner_of[rid] for rid in todo]),
                self._optical_policy_channel(),
                "marketing",
                company=self.company_id,
                at=now,
            )
            for rid in todo:
                if screen.get(partner_of[rid]):
                    results[rid] = {
                        "state": "excluded",
                        "reason": screen[partner_of[rid]],
                    }
        to_send = Recipient.browse([rid for rid in todo if rid not in results])
        if to_send:
            results.update(self._optical_send_batch(to_send))
        self._optical_write_results(results, now)
        # reconciled ones too: their log rows went with the interrupted transaction
        sent = [
            rid for rid in partner_of if results.get(rid, {}).get("state") == "sent"
        ]
        self._optical_log_batch(sent, partner_of, results, now)
        return True

    def _optical_send_batch(self, recipients):
        """Send to ``recipients`` (allowed by the policy) through the channel.

        :return: ``{recipient_id: {"state": "sent" | "failed", "reason": ...,
            "mailing_trace_id": ..., "activity_id": ..., "user_id": ...}}``
        """
        if self.channel == "phone":
            return self._optical_send_batch_phone(recipients)
        return self._optical_send_batch_mailing(recipients)

    def _optical_send_batch_mailing(self, recipients):
        mailing = self.mailing_id.sudo().with_company(self.company_id)
        mailing._action_send_mail(res_ids=recipients.partner_id.ids)
        return self._optical_collect_traces(recipients, missing="message_failed")

    def _optical_collect_traces(self, recipients, missing=None):
        """The traces of ``recipients`` in the campaign's mailing."""
        self.env["mailing.trace"].flush_model()
        self.env["optical.campaign.recipient"].flush_model()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT r.id, t.id, t.trace_status
                  FROM optical_campaign_recipient r
                  LEFT JOIN (
                        SELECT DISTINCT ON (res_id) res_id, id, trace_status
                          FROM mailing_trace
                         WHERE mass_mailing_id = %s AND model = 'res.partner'
                         ORDER BY res_id, id DESC) t ON t.res_id = r.partner_id
                 WHERE r.id = ANY(%s)
                """,
                self.mailing_id.id,
                recipients.ids,
            )
        )
        results = {}
        for rid, trace_id, status in rows:
            if trace_id and status not in ("cancel", "error"):
                results[rid] = {"state": "sent", "mailing_trace_id": trace_id}
            elif trace_id:
                results[rid] = {
                    "state": "failed",
                    "reason": "message_failed",
                    "mailing_trace_id": trace_id,
                }
            elif missing:
                results[rid] = {"state": "failed", "reason": missing}
        return results

    def _optical_existing_deliveries(self, recipients):
        """Recipients already handed to the channel by an interrupted run."""
        if self.channel == "phone":
            self.env["mail.activity"].flush_model()
            rows = self.env.execute_query(
                SQL(
                    "SELECT optical_recipient_id, id, user_id FROM mail_activity "
                    "WHERE optical_recipient_id = ANY(%s)",
                    recipients.ids,
                )
            )
            return {
                rid: {"state": "sent", "activity_id": aid, "user_id": uid}
                for rid, aid, uid in rows
            }
        if not self.mailing_id:
            return {}
        return self._optical_collect_traces(recipients)

    def _optical_send_batch_phone(self, recipients):
        """One call activity per customer, shared in turn among the callers."""
        callers = self.caller_ids.sorted("id")
        if not callers:
            return {
                r.id: {"state": "failed", "reason": "message_failed"}
                for r in recipients
            }
        self.env["optical.campaign.recipient"].flush_model()
        [(offset,)] = self.env.execute_query(
            SQL(
                "SELECT COUNT(*) FROM optical_campaign_recipient "
                "WHERE campaign_id = %s AND user_id IS NOT NULL",
                self.id,
            )
        )
        activity_type = self.activity_type_id or self.env.ref(
            "mail.mail_activity_data_call"
        )
        model_id = self.env["ir.model"]._get_id("res.partner")
        values = []
        for index, recipient in enumerate(recipients):
            values.append(
                {
                    "res_model_id": model_id,
                    "res_id": recipient.partner_id.id,
                    "activity_type_id": activity_type.id,
                    "user_id": callers[(offset + index) % len(callers)].id,
                    "summary": self.name,
                    "note": self.call_script,
                    "date_deadline": self.date_end,
                    "optical_recipient_id": recipient.id,
                }
            )
        activities = (
            self.env["mail.activity"]
            .sudo()
            .with_context(mail_activity_quick_update=True)
            .create(values)
        )
        return {
            activity.optical_recipient_id.id: {
                "state": "sent",
                "activity_id": activity.id,
                "user_id": activity.user_id.id,
            }
            for activity in activities
        }

    def _optical_write_results(self, results, now):
        if not results:
            return
        ids = list(results)
        values = [results[rid] for rid in ids]
        self.env.cr.execute(
            SQL(
                """
                UPDATE optical_campaign_recipient r
                   SET state = v.state, reason = v.reason,
                       mailing_trace_id = v.trace_id, activity_id = v.activity_id,
                       user_id = v.user_id,
                       sent_datetime = CASE WHEN v.state = 'sent' THEN %(now)s END,
                       write_uid = %(uid)s, write_date = %(now)s
                  FROM unnest(%(ids)s::int[], %(states)s::varchar[],
                              %(reasons)s::varchar[], %(traces)s::int[],
                              %(activities)s::int[], %(users)s::int[])
                       AS v(id, state, reason, trace_id, activity_id, user_id)
                 WHERE r.id = v.id
                """,
                now=now,
                uid=self.env.uid,
                ids=ids,
                states=[v["state"] for v in values],
                reasons=[v.get("reason") for v in values],
                traces=[v.get("mailing_trace_id") for v in values],
                activities=[v.get("activity_id") for v in values],
                users=[v.get("user_id") for v in values],
            )
        )
        self.env["optical.campaign.recipient"].invalidate_model()

    def _optical_log_batch(self, recipient_ids, partner_of, results, now):
        """Every message handed to the sending queue goes to the message log
        (frequency caps, attribution, customer timeline). Calls are logged when
        the customer is reached (see the call outcome)."""
        if self.channel == "phone" or not recipient_ids:
            return
        channel = self._optical_policy_channel()
        self.env["optical.contact.policy"]._optical_log_sent(
            [
                {
                    "partner_id": partner_of[rid],
                    "company_id": self.company_id.id,
                    "channel": channel,
                    "purpose": "marketing",
                    "datetime": now,
                    "res_model": self._name,
                    "res_id": self.id,
                    "mailing_id": self.mailing_id.id,
                    "mailing_trace_id": results[rid].get("mailing_trace_id"),
                }
                for rid in recipient_ids
            ]
        )

    def _optical_trigger_queue(self):
        """Wake up the queue that hands the messages to the provider."""
        xmlid = {
            "sms": "sms.ir_cron_sms_scheduler_action",
            "mail": "mail.ir_cron_mail_scheduler_action",
        }.get(self._optical_mailing_type_for(self.channel))
        if xmlid:
            cron = self.env.ref(xmlid, raise_if_not_found=False)
            if cron:
                cron.sudo()._trigger()

    def _optical_set_pending(self, state, reason):
        self.env["optical.campaign.recipient"].flush_model()
        self.env.cr.execute(
            SQL(
                "UPDATE optical_campaign_recipient SET state = %s, reason = %s, "
                "write_date = %s, write_uid = %s "
                "WHERE campaign_id = ANY(%s) AND state = 'pending'",
                state,
                reason,
                fields.Datetime.now(),
                self.env.uid,
                self.ids,
            )
        )
        self.env["optical.campaign.recipient"].invalidate_model()

    def _optical_finish(self, reason=None):
        """Nothing left to send: done (what could not go in the period is
        cancelled, with that reason)."""
        self.ensure_one()
        if reason:
            self._optical_set_pending("cancelled", reason)
            if self.channel == "phone":
                self._optical_cancel_queued(reason)
        self.write({"state": "done", "date_done": fields.Datetime.now()})
        self._optical_compute_results()

    def _optical_cancel_queued(self, reason):
        """Stop the messages of the campaign still waiting in the queue (calls
        not made yet)."""
        self.ensure_one()
        if self.channel == "phone":
            recipients = self.recipient_ids.filtered(
                lambda r: r.state == "sent" and not r.call_outcome
            )
            recipients.activity_id.sudo().unlink()
            stopped = recipients
        elif self.mailing_id:
            stopped = self._optical_cancel_queued_messages()
        else:
            stopped = self.env["optical.campaign.recipient"]
        if stopped:
            stopped.sudo().write({"state": "cancelled", "reason": reason})
            logs = (
                self.env["optical.contact.log"]
                .sudo()
                .search(
                    [
                        ("res_model", "=", self._name),
                        ("res_id", "=", self.id),
                        ("partner_id", "in", stopped.partner_id.ids),
                        ("is_control", "=", False),
                    ]
                )
            )
            logs.unlink()

    def _optical_cancel_queued_messages(self):
        table, model, state, cancelled = {
            "sms": ("sms_sms", "sms.sms", "outgoing", "canceled"),
            "mail": ("mail_mail", "mail.mail", "outgoing", "cancel"),
        }[self.mailing_id.mailing_type]
        self.env[model].flush_model()
        rows = self.env.execute_query(
            SQL(
                "SELECT id FROM %s WHERE mailing_id = %s AND state = %s "
                "FOR NO KEY UPDATE SKIP LOCKED",
                SQL.identifier(table),
                self.mailing_id.id,
                state,
            )
        )
        messages = self.env[model].sudo().browse([row[0] for row in rows])
        if not messages:
            return self.env["optical.campaign.recipient"]
        traces = messages.mailing_trace_ids
        messages.write({"state": cancelled})
        traces.set_canceled()
        return (
            self.env["optical.campaign.recipient"]
            .sudo()
            .search(
                [("campaign_id", "=", self.id), ("mailing_trace_id", "in", traces.ids)]
            )
        )

    # ------------------------------------------------------------------ bookings
    @api.model
    def _optical_record_booking(self, trace, summary=None):
        """A customer booked an appointment from a campaign message (landing
        page): recorded once per message as a touchpoint of the campaign, which
        counts it in the results."""
        trace = trace.sudo()
        campaign = trace.mass_mailing_id.optical_campaign_id
        if not campaign or trace.model != "res.partner":
            return self.env["optical.touchpoint"]
        return self.env["optical.touchpoint"]._record_once(
            [
                {
                    "partner_id": trace.res_id,
                    "datetime": fields.Datetime.now(),
                    "channel": "web",
                    "kind": "booking",
                    "summary": summary or campaign.name,
                    "res_model": self._name,
                    "res_id": campaign.id,
                    "company_id": campaign.company_id.id,
                    "source": "odoo",
                    "external_ref": f"mailing.trace,{trace.id},booking",
                }
            ]
        )

    # ------------------------------------------------------------------ results
    def _optical_failures_by_reason(self):
        self.ensure_one()
        self.env["optical.campaign.recipient"].flush_model()
        self.env["mailing.trace"].flush_model()
        return self.env.execute_query(
            SQL(
                """
                SELECT t.failure_type, COUNT(*)
                  FROM optical_campaign_recipient r
                  JOIN mailing_trace t ON t.id = r.mailing_trace_id
                 WHERE r.campaign_id = %s
                   AND (r.state = 'failed' OR t.trace_status IN ('error', 'bounce'))
                 GROUP BY t.failure_type ORDER BY 2 DESC
                """,
                self.id,
            )
        )

    def _optical_compute_results(self):
        """Refresh the stored results of the campaigns (a few SQL queries each)."""
        self.env["optical.campaign.recipient"].flush_model()
        self.env["mailing.trace"].flush_model()
        self.env["optical.touchpoint"].flush_model()
        self.env["optical.consent"].flush_model()
        attribution = self.env["optical.contact.log"]._optical_attribution(
            self._name, self.ids
        )
        for campaign in self:
            campaign.sudo().write(campaign._optical_results_values(attribution))

    def _optical_results_values(self, attribution):
        self.ensure_one()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT r.state, r.reason, r.call_outcome, t.trace_status,
                       t.links_click_datetime IS NOT NULL, COUNT(*)
                  FROM optical_campaign_recipient r
                  LEFT JOIN mailing_trace t ON t.id = r.mailing_trace_id
                 WHERE r.campaign_id = %s
                 GROUP BY 1, 2, 3, 4, 5
                """,
                self.id,
            )
        )
        values = dict.fromkeys(
            (
                "audience_count",
                "excluded_count",
                "pending_count",
                "cancelled_count",
                "handed_count",
                "sent_count",
                "delivered_count",
                "failed_count",
                "clicked_count",
                "control_count",
            ),
            0,
        )
        values.update(self._optical_count_exclusions([]))
        for state, reason, outcome, status, clicked, count in rows:
            values["audience_count"] += count
            if state == "excluded":
                values["excluded_count"] += count
                for fname, members in EXCLUSION_GROUPS.items():
                    if reason in members:
                        values[fname] += count
            elif state in ("pending", "cancelled", "control"):
                values[f"{state}_count"] += count
            elif state == "failed":
                values["handed_count"] += count
                values["failed_count"] += count
            elif state == "sent":
                values["handed_count"] += count
                self._optical_count_sent(values, outcome, status, clicked, count)
        [(opted_out, booked)] = self.env.execute_query(
            SQL(
                """
                SELECT
                  (SELECT COUNT(DISTINCT r.partner_id)
                     FROM optical_campaign_recipient r
                     JOIN optical_consent c
                       ON c.partner_id = r.partner_id AND c.channel = %(channel)s
                      AND c.purpose = 'marketing' AND NOT c.granted
                      AND c.date >= r.sent_datetime
                      AND (c.company_id IS NULL OR c.company_id = %(company)s)
                    WHERE r.campaign_id = %(id)s AND r.state = 'sent'),
                  (SELECT COUNT(DISTINCT partner_id) FROM optical_touchpoint
                    WHERE res_model = %(model)s AND res_id = %(id)s
                      AND kind = 'booking')
                """,
                channel=self._optical_policy_channel(),
                id=self.id,
                model=self._name,
                company=(self.company_id or self.env.company).id,
            )
        )
        figures = attribution.get(self.id) or {}
        sent = figures.get("sent", 0)
        control = figures.get("control", 0)
        rate = 100.0 * figures.get("converted", 0) / sent if sent else 0.0
        control_rate = (
            100.0 * figures.get("control_converted", 0) / control if control else 0.0
        )
        values.update(
            {
                "opted_out_count": opted_out,
                "booked_count": booked,
                "converted_count": figures.get("converted", 0),
                "revenue": figures.get("revenue", 0.0),
                "control_converted_count": figures.get("control_converted", 0),
                "control_revenue": figures.get("control_revenue", 0.0),
                "conversion_rate": rate,
                "control_conversion_rate": control_rate,
                "uplift": rate - control_rate if control else 0.0,
                "incremental_revenue": (
                    figures.get("revenue", 0.0)
                    - figures.get("control_revenue", 0.0) / control * sent
                    if control
                    else 0.0
                ),
                "results_date": fields.Datetime.now(),
            }
        )
        return values

    def _optical_count_sent(self, values, outcome, status, clicked, count):
        """Add messages handed over to the results, by what became of them."""
        if self.channel == "phone":
            values["sent_count"] += count
            if outcome in ("reached", "booked", "refused"):
                values["delivered_count"] += count
            elif outcome == "not_reached":
                values["failed_count"] += count
            return
        if status in ("pending", "sent", "open", "reply", "bounce"):
            values["sent_count"] += count
        if status in ("sent", "open", "reply"):
            values["delivered_count"] += count
        if status in ("error", "bounce"):
            values["failed_count"] += count
        if clicked:
            values["clicked_count"] += count

    @api.model
    def _cron_refresh_results(self):
        """Results move after sending (deliveries, clicks, sales): refresh the
        campaigns still inside their attribution window."""
        today = fields.Date.context_today(self)
        campaigns = self.sudo().search([("state", "in", ("running", "done"))])
        campaigns.filtered(
            lambda c: c.date_end
            + relativedelta(days=c.company_id.optical_attribution_days or 30)
            >= today
        )._optical_compute_results()
