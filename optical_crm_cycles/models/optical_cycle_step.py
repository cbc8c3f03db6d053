import datetime as dt
from collections import defaultdict

import pytz
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, clean_context

from odoo.addons.optical_crm.models.optical_consent import CONSENT_PURPOSES

DELAY_UNITS = [
    ("hours", "Hours"),
    ("days", "Days"),
    ("weeks", "Weeks"),
    ("months", "Months"),
    ("years", "Years"),
]
DELAY_FROM = [
    ("trigger", "After the trigger"),
    ("previous", "After the previous step"),
]
STEP_CHANNELS = [("sms", "SMS"), ("email", "Email"), ("phone", "Phone call")]
# step fields stored on the step's mailing.mailing (the content lives there)
MAILING_FIELDS = {
    "sms_body": "body_plaintext",
    "email_subject": "subject",
    "email_body": "body_html",
}


class OpticalCycleStep(models.Model):
    """One message of a cycle: when (a delay), how (channel) and what (the content
    of its own ``mailing.mailing``, or a phone-call activity)."""

    _name = "optical.cycle.step"
    _description = "Cycle step"
    _order = "cycle_id, sequence, id"
    _check_company_auto = True

    cycle_id = fields.Many2one(
        "optical.cycle", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(
        related="cycle_id.company_id", store=True, index=True, precompute=True
    )
    sequence = fields.Integer(default=10)
    name = fields.Char(
        string="Step", required=True, default=lambda self: self.env._("Follow-up")
    )
    delay_count = fields.Integer(string="Delay", default=1)
    delay_unit = fields.Selection(
        DELAY_UNITS, string="Unit", required=True, default="weeks"
    )
    delay_from = fields.Selection(
        DELAY_FROM, string="Counted from", required=True, default="trigger"
    )
    channel = fields.Selection(STEP_CHANNELS, required=True, default="sms")
    purpose = fields.Selection(
        CONSENT_PURPOSES,
        required=True,
        default="marketing",
        help="Marketing needs the customer's recorded consent for the channel; "
        "service messages go unless the customer refused them.",
    )
    skip_if_repurchased = fields.Boolean(
        string="Skip if bought again",
        default=True,
        help="Not sent if, after the trigger, the customer bought again in the same "
        "optical category (or, for eye-exam cycles, had a newer exam).",
    )
    mailing_id = fields.Many2one(
        "mailing.mailing",
        readonly=True,
        copy=False,
        ondelete="restrict",
        index="btree_not_null",
        help="The step's SMS or email: content, link tracking, opt-out link, "
        "traces and statistics.",
    )
    sms_body = fields.Text(
        string="SMS text",
        related="mailing_id.body_plaintext",
        readonly=False,
        help="Placeholders such as {{ object.partner_id.name }} (the customer) and "
        "{{ object.company_id.name }} (the shop). Never health data.",
    )
    email_subject = fields.Char(
        string="Email subject", related="mailing_id.subject", readonly=False
    )
    email_body = fields.Html(
        string="Email body", related="mailing_id.body_html", readonly=False
    )
    activity_type_id = fields.Many2one(
        "mail.activity.type",
        string="Activity type",
        default=lambda self: self.env.ref(
            "mail.mail_activity_data_call", raise_if_not_found=False
        ),
    )
    activity_summary = fields.Char(string="Call summary")
    activity_note = fields.Html(string="Call notes")
    activity_user_id = fields.Many2one(
        "res.users",
        string="Assigned to",
        help="Who makes the call; empty: the customer's salesperson, else the "
        "cycle's responsible.",
    )
    execution_ids = fields.One2many("optical.cycle.execution", "step_id")
    delay_label = fields.Char(string="When", compute="_compute_delay_label")
    content_preview = fields.Char(string="Content", compute="_compute_content_preview")
    # live results (see _optical_results)
    scheduled_count = fields.Integer(string="Scheduled", compute="_compute_results")
    due_today_count = fields.Integer(string="Due today", compute="_compute_results")
    sent_count = fields.Integer(string="Sent", compute="_compute_results")
    delivered_count = fields.Integer(string="Delivered", compute="_compute_results")
    clicked_count = fields.Integer(string="Clicked", compute="_compute_results")
    opted_out_count = fields.Integer(string="Opted out", compute="_compute_results")
    skipped_count = fields.Integer(string="Skipped", compute="_compute_results")
    failed_count = fields.Integer(string="Failed", compute="_compute_results")
    cancelled_count = fields.Integer(string="Cancelled", compute="_compute_results")
    converted_count = fields.Integer(string="Converted", compute="_compute_results")
    revenue = fields.Monetary(compute="_compute_results", currency_field="currency_id")
    currency_id = fields.Many2one(related="company_id.currency_id")

    @api.constrains("delay_count")
    def _check_delay(self):
        for step in self:
            if step.delay_count < 0:
                raise ValidationError(
                    self.env._(
                        "Step %(name)s: the delay cannot be negative.", name=step.name
                    )
                )

    @api.constrains("channel", "activity_type_id")
    def _check_activity_type(self):
        for step in self:
            if step.channel == "phone" and not step.activity_type_id:
                raise ValidationError(
                    self.env._(
                        "Step %(name)s: a phone step needs an activity type.",
                        name=step.name,
                    )
                )

    # ------------------------------------------------------------------ ORM
    @api.model_create_multi
    def create(self, vals_list):
        contents = []
        for vals in vals_list:
            contents.append(
                {
                    field: vals.pop(field)
                    for field in list(MAILING_FIELDS)
                    if field in vals
                }
            )
        steps = super().create(vals_list)
        for step, content in zip(steps, contents, strict=True):
            step._optical_ensure_mailing(content)
        self.env["optical.cycle"]._optical_shops_changed()
        return steps

    def write(self, vals):
        content = {
            field: vals.pop(field) for field in list(MAILING_FIELDS) if field in vals
        }
        res = super().write(vals) if vals else True
        if content or {"channel", "name", "purpose", "cycle_id"} & set(vals):
            for step in self:
                step._optical_ensure_mailing(content)
        if "cycle_id" in vals:
            self.env["optical.cycle"]._optical_shops_changed()
        return res

    def copy_data(self, default=None):
        vals_list = super().copy_data(default=default)
        for step, vals in zip(self, vals_list, strict=True):
            for field in MAILING_FIELDS:
                vals[field] = step[field]
        return vals_list

    @api.ondelete(at_uninstall=False)
    def _unlink_except_used(self):
        if self.env["optical.cycle.execution"].search_count(
            [("step_id", "in", self.ids), ("state", "!=", "scheduled")], limit=1
        ):
            raise UserError(
                self.env._(
                    "This step has already sent messages: archive the cycle and "
                    "create a new one instead of deleting it, so that its results "
                    "are kept."
                )
            )

    def unlink(self):
        mailings = self.mailing_id
        res = super().unlink()
        mailings.sudo().unlink()
        self.env["optical.cycle"]._optical_shops_changed()
        return res

    def _optical_ensure_mailing(self, content=None):
        """Create or update the step's mailing (SMS or email) from the step."""
        self.ensure_one()
        content = content or {}
        if self.channel == "phone":
            if any(content.values()):
                raise ValidationError(
                    self.env._(
                        "Step %(name)s is a phone call: it has no SMS or email text.",
                        name=self.name,
                    )
                )
            return
        mailing_type = "sms" if self.channel == "sms" else "mail"
        vals = {
            "subject": f"{self.cycle_id.name} - {self.name}",
            "mailing_type": mailing_type,
            "optical_cycle_step_id": self.id,
            "campaign_id": self.cycle_id.campaign_id.id,
            "sms_allow_unsubscribe": self.purpose == "marketing",
            "keep_archives": False,
        }
        own = (
            ("sms_body",) if mailing_type == "sms" else ("email_subject", "email_body")
        )
        for field in own:
            if field in content and (content[field] or field != "email_subject"):
                vals[MAILING_FIELDS[field]] = content[field]
        if mailing_type == "mail" and "body_html" in vals:
            vals["body_arch"] = vals["body_html"]
        if mailing_type == "mail" and content.get("email_subject"):
            vals["subject"] = content["email_subject"]
        elif mailing_type == "mail" and self.mailing_id.mailing_type == "mail":
            vals.pop("subject")  # keep the email subject the user wrote
        Mailing = (
            self.env["mailing.mailing"]
            .sudo()
            .with_context(clean_context(self.env.context))
        )
        if self.mailing_id:
            self.mailing_id.sudo().write(vals)
        else:
            vals.update(
                {
                    "mailing_model_id": self.env["ir.model"]
                    ._get("optical.cycle.execution")
                    .id,
                    "mailing_domain": repr([("step_id", "=", self.id)]),
                    "user_id": (self.cycle_id.user_id or self.env.user).id,
                    "name": f"{self.cycle_id.name} - {self.name}",
                }
            )
            self.mailing_id = Mailing.create(vals)

    # ------------------------------------------------------------------ labels
    @api.depends("delay_count", "delay_unit", "delay_from", "cycle_id.trigger")
    def _compute_delay_label(self):
        _ = self.env._
        units = {
            "hours": (_("hour"), _("hours")),
            "days": (_("day"), _("days")),
            "weeks": (_("week"), _("weeks")),
            "months": (_("month"), _("months")),
            "years": (_("year"), _("years")),
        }
        for step in self:
            if step.delay_from == "previous":
                origin = self.env._("after the previous step")
            else:
                origin = self.env._("after the trigger")
            if not step.delay_count:
                step.delay_label = self.env._("At once %(origin)s", origin=origin)
            else:
                step.delay_label = self.env._(
                    "+%(count)s %(unit)s %(origin)s",
                    count=step.delay_count,
                    unit=units[step.delay_unit][step.delay_count != 1],
                    origin=origin,
                )

    @api.depends("channel", "sms_body", "email_subject", "activity_summary")
    def _compute_content_preview(self):
        for step in self:
            if step.channel == "sms":
                text = step.sms_body or ""
            elif step.channel == "email":
                text = step.email_subject or ""
            else:
                text = step.activity_summary or step.activity_type_id.name or ""
            step.content_preview = text if len(text) <= 90 else text[:89] + "…"

    # ------------------------------------------------------------------ schedule
    def _optical_due_local(self, trigger_date, trigger_at_local, previous_local, hour):
        """Naive local datetime when the step is due (before the send window).

        Steps counted in days or more go out at the cycle's send hour; steps
        counted in hours are counted from the trigger's moment (recording time for
        a sale recorded on its day, else the send hour of the trigger date).
        """
        self.ensure_one()
        send_time = dt.time(int(hour), int(round((hour % 1) * 60)) % 60)
        if self.delay_from == "previous" and previous_local:
            base = previous_local
        else:
            base = trigger_at_local or dt.datetime.combine(trigger_date, send_time)
        if self.delay_unit == "hours":
            return base + dt.timedelta(hours=self.delay_count)
        delta = relativedelta(**{self.delay_unit: self.delay_count})
        return dt.datetime.combine(base.date() + delta, send_time)

    @api.model
    def _optical_localize(self, tz, local):
        """Naive local datetime → naive UTC (DST gaps resolved forward)."""
        try:
            aware = tz.localize(local, is_dst=None)
        except pytz.exceptions.NonExistentTimeError:
            aware = tz.localize(local + dt.timedelta(hours=1), is_dst=True)
        except pytz.exceptions.AmbiguousTimeError:
            aware = tz.localize(local, is_dst=False)
        return aware.astimezone(pytz.utc).replace(tzinfo=None)

    # ------------------------------------------------------------------ results
    def _optical_results(self):
        """Live figures per step: {step_id: {...}} (a few SQL queries)."""
        steps = self.filtered("id")
        if not steps:
            return {}
        Execution = self.env["optical.cycle.execution"]
        Execution.flush_model()
        self.env["mailing.trace"].flush_model(["trace_status", "links_click_datetime"])
        self.env["optical.consent"].flush_model()
        end_of_today = steps[:1].cycle_id._optical_end_of_today()
        result = defaultdict(
            lambda: dict.fromkeys(
                (
                    "scheduled",
                    "due_today",
                    "sent",
                    "delivered",
                    "clicked",
                    "opted_out",
                    "skipped",
                    "failed",
                    "cancelled",
                    "processed",
                    "converted",
                    "revenue",
                ),
                0,
            )
        )
        rows = self.env.execute_query(
            SQL(
                """
                SELECT x.step_id,
                       COUNT(*) FILTER (WHERE x.state = 'scheduled'),
                       COUNT(*) FILTER (WHERE x.state = 'scheduled'
                                          AND x.scheduled_at < %(eod)s),
                       COUNT(*) FILTER (WHERE x.state = 'sent'),
                       COUNT(*) FILTER (WHERE x.state = 'sent' AND (
                            t.trace_status IN ('sent', 'open', 'reply')
                            OR x.call_done)),
                       COUNT(*) FILTER (WHERE t.links_click_datetime IS NOT NULL),
                       COUNT(*) FILTER (WHERE x.state = 'skipped'),
                       COUNT(*) FILTER (WHERE x.state = 'failed'),
                       COUNT(*) FILTER (WHERE x.state = 'cancelled'),
                       COUNT(DISTINCT x.partner_id) FILTER (
                            WHERE x.state = 'sent' AND EXISTS (
                                SELECT 1 FROM optical_consent c
                                 WHERE c.partner_id = x.partner_id
                                   AND c.channel = x.channel
                                   AND c.purpose = 'marketing'
                                   AND NOT c.granted
                                   AND c.date >= x.sent_at
                                   AND (c.company_id IS NULL
                                        OR c.company_id = x.company_id)))
                  FROM optical_cycle_execution x
                  LEFT JOIN mailing_trace t ON t.id = x.mailing_trace_id
                 WHERE x.step_id = ANY(%(ids)s)
                 GROUP BY x.step_id
                """,
                eod=end_of_today,
                ids=steps.ids,
            )
        )
        for (
            step_id,
            scheduled,
            due,
            sent,
            delivered,
            clicked,
            skipped,
            failed,
            cancelled,
            opted_out,
        ) in rows:
            result[step_id].update(
                scheduled=scheduled,
                due_today=due,
                sent=sent,
                delivered=delivered,
                clicked=clicked,
                skipped=skipped,
                failed=failed,
                cancelled=cancelled,
                opted_out=opted_out,
                processed=sent + skipped + failed,
            )
        attribution = (
            self.env["optical.contact.log"]
            .sudo()
            ._optical_attribution(self._name, steps.ids)
        )
        for step_id, figures in attribution.items():
            result[step_id]["converted"] = figures["converted"]
            result[step_id]["revenue"] = figures["revenue"]
        return {step.id: result[step.id] for step in steps}

    def _compute_results(self):
        stats = self._optical_results()
        empty = defaultdict(int)
        for step in self:
            row = stats.get(step.id, empty)
            step.scheduled_count = row["scheduled"]
            step.due_today_count = row["due_today"]
            step.sent_count = row["sent"]
            step.delivered_count = row["delivered"]
            step.clicked_count = row["clicked"]
            step.opted_out_count = row["opted_out"]
            step.skipped_count = row["skipped"]
            step.failed_count = row["failed"]
            step.cancelled_count = row["cancelled"]
            step.converted_count = row["converted"]
            step.revenue = row["revenue"]

    # ------------------------------------------------------------------ actions
    def action_open_mailing(self):
        self.ensure_one()
        if not self.mailing_id:
            raise UserError(self.env._("A phone step has no mailing."))
        return {
            "type": "ir.actions.act_window",
            "res_model": "mailing.mailing",
            "res_id": self.mailing_id.id,
            "view_mode": "form",
        }

    def action_view_executions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "optical_crm_cycles.optical_cycle_execution_action"
        )
        action["domain"] = [("step_id", "=", self.id)]
        return action

    # ------------------------------------------------------------------ export
    def _optical_export(self):
        self.ensure_one()
        activity_xmlid = (
            self.activity_type_id.get_external_id().get(self.activity_type_id.id)
            if self.activity_type_id
            else None
        )
        return {
            "name": self.name,
            "sequence": self.sequence,
            "delay_count": self.delay_count,
            "delay_unit": self.delay_unit,
            "delay_from": self.delay_from,
            "channel": self.channel,
            "purpose": self.purpose,
            "skip_if_repurchased": self.skip_if_repurchased,
            "sms_body": self.sms_body if self.channel == "sms" else None,
            "email_subject": self.email_subject if self.channel == "email" else None,
            "email_body": self.email_body if self.channel == "email" else None,
            "activity_type": (
                {"xmlid": activity_xmlid or None, "name": self.activity_type_id.name}
                if self.channel == "phone"
                else None
            ),
            "activity_summary": self.activity_summary or None,
            "activity_note": self.activity_note or None,
        }
