import datetime as dt
import logging
import threading
import time
from collections import defaultdict

import psycopg2.errors
import pytz

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.optical_crm.models.optical_contact_policy import (
    DEFER_REASONS,
    EXCLUSION_REASONS,
)

_logger = logging.getLogger(__name__)

EXIT_REASONS = [
    ("repurchased", "Bought again in the same category"),
    ("newer_exam", "Newer eye exam"),
    ("opt_out", "Opted out"),
    ("partner_archived", "Customer archived"),
    ("invoice_draft", "Invoice or receipt reset to draft"),
    ("invoice_cancelled", "Invoice or receipt cancelled"),
    ("invoice_credited", "Sale fully refunded"),
    ("cycle_archived", "Cycle archived"),
    ("customer_changed", "Document moved to another customer"),
    ("document_changed", "Document changed: no longer matches the cycle"),
]
# exits of a document that was reset or changed: when the same document enrolls
# the same customer again, the enrollment comes back (steps already sent stay sent)
REVIVABLE_REASONS = (
    "invoice_draft",
    "invoice_cancelled",
    "customer_changed",
    "document_changed",
)
# the sales-ledger document (optical.sale.line.document_key) of an enrollment
# ``en``: invoices and receipts by their move, the other sales by source_key
# (NULL or no ledger document for the other triggers)
ENROLLMENT_DOCUMENT_SQL = (
    "CASE WHEN en.move_id IS NOT NULL THEN 'account.move,' || en.move_id "
    "ELSE en.source_key END"
)
# exits that concern one step (the ones marked "skip if bought again"), the
# others stop every pending step of the enrollment
STEP_EXITS = ("repurchased", "newer_exam")
OUTCOME_REASONS = [
    ("sent", "Sent"),
    ("call_planned", "Call scheduled"),
    ("call_cancelled", "Call cancelled"),
    ("late", "Late: already past when enrolled"),
    ("invalid_address", "Invalid number or address"),
    ("provider_refused", "Refused by the provider"),
    ("outcome_unknown", "Outcome unknown, not retried"),
    ("retries_exhausted", "Failed after retries"),
    ("error", "Processing error"),
    ("manual", "Cancelled by a user"),
]
EXECUTION_REASONS = (
    OUTCOME_REASONS
    + EXIT_REASONS
    + [reason for reason in EXCLUSION_REASONS if reason[0] != "archived"]
)
# mailing.trace failure types of messages refused when created
TRACE_SKIP_REASONS = {
    "sms_blacklist": "blacklisted",
    "sms_optout": "blacklisted",
    "sms_duplicate": "duplicate",
    "sms_number_missing": "no_address",
    "sms_number_format": "invalid_address",
    "mail_bl": "blacklisted",
    "mail_optout": "blacklisted",
    "mail_dup": "duplicate",
    "mail_email_missing": "no_address",
    "mail_email_invalid": "invalid_address",
}
# failures worth another try (the provider or the account, not the number), all
# confirmed by the provider: the message was never accepted
TEMPORARY_FAILURES = ("sms_server", "sms_credit", "sms_acc", "mail_smtp")
# failures without that confirmation: the message may have been delivered, it is
# never sent again (the SMS providers' "outcome unknown", Odoo's "unknown error")
UNCERTAIN_FAILURES = ("unknown", "optical_outcome_unknown")
MAX_RETRIES = 3
RETRY_DELAY = dt.timedelta(minutes=15)
CHANNELS = [("sms", "SMS"), ("email", "Email"), ("phone", "Phone call")]
# errors that say "another transaction got there first", never a faulty message
CONCURRENCY_ERRORS = (
    psycopg2.errors.SerializationFailure,
    psycopg2.errors.LockNotAvailable,
    psycopg2.errors.DeadlockDetected,
)


class OpticalCycleExecution(models.Model):
    """One step for one enrollment: scheduled, then sent, skipped, failed or
    cancelled, always with a reason. The target record of the step's mailing, so
    that a customer enrolled again by a later sale gets the step again."""

    _name = "optical.cycle.execution"
    _description = "Cycle message"
    _inherit = ["mail.thread"]
    _mailing_enabled = True
    _order = "scheduled_at desc, id desc"
    _check_company_auto = True

    enrollment_id = fields.Many2one(
        "optical.cycle.enrollment",
        required=True,
        index=True,
        ondelete="cascade",
        readonly=True,
    )
    step_id = fields.Many2one(
        "optical.cycle.step",
        required=True,
        index=True,
        ondelete="cascade",
        readonly=True,
    )
    cycle_id = fields.Many2one(
        "optical.cycle", required=True, index=True, ondelete="cascade", readonly=True
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        ondelete="cascade",
        readonly=True,
    )
    company_id = fields.Many2one(
        "res.company",
        string="Shop",
        required=True,
        index=True,
        default=lambda self: self.env.company,
        readonly=True,
    )
    channel = fields.Selection(CHANNELS, required=True, readonly=True)
    planned_at = fields.Datetime(
        string="Planned", readonly=True, help="The step's date by its delay."
    )
    scheduled_at = fields.Datetime(
        string="Scheduled",
        required=True,
        readonly=True,
        help="When it goes: the planned date moved into the shop's send window.",
    )
    state = fields.Selection(
        [
            ("scheduled", "Scheduled"),
            ("sent", "Sent"),
            ("skipped", "Skipped"),
            ("failed", "Failed"),
            ("cancelled", "Cancelled"),
        ],
        required=True,
        default="scheduled",
        readonly=True,
        index=True,
    )
    reason = fields.Selection(EXECUTION_REASONS, readonly=True)
    failure_type = fields.Char(string="Failure", readonly=True)
    defer_reason = fields.Selection(
        DEFER_REASONS, string="Last postponed", readonly=True
    )
    defer_count = fields.Integer(string="Postponed", readonly=True)
    sent_at = fields.Datetime(readonly=True)
    retry_count = fields.Integer(string="Retries", readonly=True)
    retry_at = fields.Datetime(readonly=True)
    mailing_trace_id = fields.Many2one(
        "mailing.trace",
        string="Trace",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
    )
    trace_status = fields.Selection(
        related="mailing_trace_id.trace_status", string="Delivery"
    )
    activity_id = fields.Many2one("mail.activity", readonly=True, ondelete="set null")
    call_done = fields.Boolean(readonly=True)

    _sql_constraints = [
        (
            "enrollment_step_uniq",
            "unique(enrollment_id, step_id)",
            "A step is planned once per enrollment.",
        ),
    ]

    def init(self):
        self.env.cr.execute(
            """
            CREATE INDEX IF NOT EXISTS optical_cycle_execution_due_idx
                ON optical_cycle_execution (scheduled_at, id) WHERE state = 'scheduled';
            CREATE INDEX IF NOT EXISTS optical_cycle_execution_sent_idx
                ON optical_cycle_execution (sent_at) WHERE state = 'sent';
            """
        )

    @api.depends("step_id", "partner_id")
    def _compute_display_name(self):
        for execution in self:
            execution.display_name = (
                f"{execution.step_id.display_name} - {execution.partner_id.name}"
            )

    @api.model
    def _mailing_get_default_domain(self, mailing):
        return [("step_id.mailing_id", "=", mailing.id)]

    # ------------------------------------------------------------------ plan
    @api.model
    def _optical_insert_plan(self, plan, now):
        """Insert the planned executions (``enrollment._optical_plan`` rows); a
        re-activated enrollment gets back its steps cancelled by the reset."""
        if not plan:
            return
        channels = {
            row[3]: row[1]["cycle"].step_ids.browse(row[3]).channel for row in plan
        }
        values = SQL(", ").join(
            SQL(
                "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 0, 0, %s, %s, %s, %s)",
                enrollment_id,
                step_id,
                cycle_id,
                candidate["partner_id"],
                candidate["cycle"].company_id.id,
                channels[step_id],
                planned,
                scheduled,
                state,
                reason,
                self.env.uid,
                now,
                self.env.uid,
                now,
            )
            for (
                enrollment_id,
                candidate,
                cycle_id,
                step_id,
                planned,
                scheduled,
                state,
                reason,
            ) in plan
        )
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO optical_cycle_execution
                    (enrollment_id, step_id, cycle_id, partner_id, company_id, channel,
                     planned_at, scheduled_at, state, reason, retry_count, defer_count,
                     create_uid, create_date, write_uid, write_date)
                VALUES %s
                ON CONFLICT (enrollment_id, step_id) DO UPDATE
                   SET planned_at = EXCLUDED.planned_at,
                       scheduled_at = EXCLUDED.scheduled_at,
                       state = EXCLUDED.state, reason = EXCLUDED.reason,
                       write_uid = EXCLUDED.write_uid, write_date = EXCLUDED.write_date
                 WHERE optical_cycle_execution.state = 'cancelled'
                   AND optical_cycle_execution.reason = ANY(%s)
                """,
                values,
                list(REVIVABLE_REASONS),
            )
        )
        self.invalidate_model()
        # enrollments whose every step was late have nothing left to send
        pending = {row[0] for row in plan if row[6] == "scheduled"}
        self.env["optical.cycle.enrollment"]._optical_close_finished(
            list({row[0] for row in plan} - pending)
        )

    # ------------------------------------------------------------------ exits
    @api.model
    def _optical_exit_reasons(self, ids):
        """Exit rules, evaluated in one query: ``{id: (enrollment_id, reason)}`` for
        the pending executions among ``ids`` that must not go out.

        Sales are read in the sales ledger (every kind of sale): a sale wholly
        refunded (:meth:`optical.sale.line._optical_sales_sql`: not a purchase,
        with refunds) stops its enrollment; a later sale of a watched category
        stops the steps marked "skip if bought again". An invoice or receipt
        no longer posted stops its enrollment even if its ledger event was
        missed (a state written directly)."""
        if not ids:
            return {}
        for model in (
            "optical.cycle.execution",
            "optical.cycle.enrollment",
            "optical.cycle",
            "optical.cycle.step",
            "account.move",
            "optical.sale.line",
            "optical.exam",
        ):
            self.env[model].flush_model()
        self.env["res.partner"].flush_model(["active"])
        partner_ids = [
            row[0]
            for row in self.env.execute_query(
                SQL(
                    "SELECT DISTINCT partner_id FROM optical_cycle_execution "
                    "WHERE id = ANY(%s)",
                    list(ids),
                )
            )
        ]
        rows = self.env.execute_query(
            SQL(
                """
                WITH sales AS (%(sales)s)
                SELECT x.id, en.id,
                  CASE
                    WHEN NOT cy.active THEN 'cycle_archived'
                    WHEN NOT p.active THEN 'partner_archived'
                    WHEN en.move_id IS NOT NULL AND mv.state = 'draft'
                        THEN 'invoice_draft'
                    WHEN en.move_id IS NOT NULL AND mv.state = 'cancel'
                        THEN 'invoice_cancelled'
                    WHEN doc.key IS NOT NULL
                         AND EXISTS (SELECT 1 FROM optical_sale_line r
                                      WHERE r.origin_key = doc.key AND r.is_refund)
                         AND EXISTS (SELECT 1 FROM sales s
                                      WHERE s.origin_key = doc.key
                                        AND s.partner_id = en.partner_id
                                        AND s.company_id = en.company_id
                                        AND NOT s.is_purchase)
                        THEN 'invoice_credited'
                    WHEN st.skip_if_repurchased AND en.watch_categories IS NOT NULL
                         AND EXISTS (
                            SELECT 1 FROM optical_sale_line l2
                             WHERE l2.partner_id = en.partner_id
                               AND l2.company_id = en.company_id
                               AND NOT l2.is_refund
                               AND l2.document_key IS DISTINCT FROM doc.key
                               -- later, or the same day but recorded after it
                               AND (l2.date > en.trigger_date
                                    OR (l2.date = en.trigger_date
                                        AND (doc.first_line IS NULL
                                             OR l2.id > doc.first_line)))
                               AND l2.optical_category
                                   = ANY(string_to_array(en.watch_categories, ',')))
                        THEN 'repurchased'
                    WHEN st.skip_if_repurchased
                         AND split_part(en.source_ref, ',', 1) = 'optical.exam'
                         AND EXISTS (
                            SELECT 1 FROM optical_exam e2
                             WHERE e2.partner_id = en.partner_id
                               AND e2.company_id = en.company_id
                               AND e2.id::text != split_part(en.source_ref, ',', 2)
                               AND e2.date > en.trigger_date)
                        THEN 'newer_exam'
                  END
                  FROM optical_cycle_execution x
                  JOIN optical_cycle_enrollment en ON en.id = x.enrollment_id
                  JOIN optical_cycle cy ON cy.id = x.cycle_id
                  JOIN optical_cycle_step st ON st.id = x.step_id
                  JOIN res_partner p ON p.id = x.partner_id
                  LEFT JOIN account_move mv ON mv.id = en.move_id
                 -- the enrollment's sale document and its first line recorded
                 CROSS JOIN LATERAL (
                        SELECT d.key,
                               (SELECT MIN(f.id) FROM optical_sale_line f
                                 WHERE f.document_key = d.key) AS first_line
                          FROM (SELECT %(document)s AS key) d
                       ) doc
                 WHERE x.id = ANY(%(ids)s) AND x.state = 'scheduled'
                """,
                sales=self.env["optical.sale.line"]._optical_sales_sql(
                    partner_ids=partner_ids
                ),
                document=SQL(ENROLLMENT_DOCUMENT_SQL),
                ids=list(ids),
            )
        )
        return {
            execution_id: (enrollment_id, reason)
            for execution_id, enrollment_id, reason in rows
            if reason
        }

    @api.model
    def _optical_apply_exits(self, reasons):
        """Cancel what the exits stop (see ``_optical_exit_reasons``)."""
        Enrollment = self.env["optical.cycle.enrollment"]
        enrollment_level = {}
        step_level = defaultdict(list)
        step_enrollments = {}
        for execution_id, (enrollment_id, reason) in reasons.items():
            if reason in STEP_EXITS:
                step_level[reason].append(execution_id)
                step_enrollments[enrollment_id] = reason
            else:
                enrollment_level[enrollment_id] = reason
        if enrollment_level:
            Enrollment._optical_stop(enrollment_level)
        for reason, ids in step_level.items():
            self.browse(ids)._optical_close("cancelled", reason)
        if step_enrollments:
            Enrollment._optical_stop_if_empty(step_enrollments)

    def _optical_close(self, state, reason, failure_type=None):
        """Final state for scheduled executions (one UPDATE)."""
        if not self:
            return
        self.flush_recordset()
        self.env.cr.execute(
            SQL(
                """
                UPDATE optical_cycle_execution
                   SET state = %s, reason = %s, failure_type = %s,
                       write_date = %s, write_uid = %s
                 WHERE id = ANY(%s) AND state = 'scheduled'
                """,
                state,
                reason,
                failure_type,
                fields.Datetime.now(),
                self.env.uid,
                self.ids,
            )
        )
        self.invalidate_recordset()

    def _optical_defer(self, when, reason):
        if not self:
            return
        self.flush_recordset()
        self.env.cr.execute(
            SQL(
                """
                UPDATE optical_cycle_execution
                   SET scheduled_at = %s, defer_reason = %s,
                       defer_count = defer_count + 1, write_date = %s
                 WHERE id = ANY(%s) AND state = 'scheduled'
                """,
                when,
                reason,
                fields.Datetime.now(),
                self.ids,
            )
        )
        self.invalidate_recordset()

    # ------------------------------------------------------------------ dispatch
    @api.model
    def _cron_dispatch(self):
        self.sudo()._optical_dispatch()

    @api.model
    def _optical_dispatch(self, batch_size=None, max_batches=None, now=None):
        """Send what is due: bounded batches locked with ``FOR UPDATE SKIP
        LOCKED`` (several workers share the load, none takes a row twice), one
        commit per batch outside tests (a killed worker loses only its open
        batch, which rolls back and is taken again).

        :return: number of executions processed
        """
        ICP = self.env["ir.config_parameter"].sudo()
        batch_size = batch_size or int(
            ICP.get_param("optical_crm_cycles.dispatch_batch_size", 500)
        )
        max_batches = max_batches or int(
            ICP.get_param("optical_crm_cycles.dispatch_max_batches", 40)
        )
        auto_commit = not getattr(threading.current_thread(), "testing", False)
        fixed_now = now
        processed = batches = conflicts = 0
        more = False
        reconciled = False
        while True:
            if batches >= max_batches:
                more = True
                break
            now = fixed_now or fields.Datetime.now()
            try:
                if not reconciled:
                    self._optical_reconcile(now)
                    reconciled = True
                    ids = []
                else:
                    ids = self._optical_lock_due(now, batch_size)
                    if not ids:
                        break
                    self.browse(ids)._optical_dispatch_locked(now)
            except CONCURRENCY_ERRORS:
                # another transaction changed rows of our snapshot (a second
                # worker, an invoice being posted): roll back, take a new one
                if not auto_commit or conflicts >= 20:
                    raise
                conflicts += 1
                self.env.cr.rollback()
                self.env.invalidate_all()
                time.sleep(0.05 * conflicts)
                continue
            processed += len(ids)
            batches += 1 if ids else 0
            if auto_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
                self.env.invalidate_all()
        if processed:
            for xmlid in (
                "sms.ir_cron_sms_scheduler_action",
                "mail.ir_cron_mail_scheduler_action",
            ):
                cron = self.env.ref(xmlid, raise_if_not_found=False)
                if cron:
                    cron.sudo()._trigger()
        if more:
            self.env.ref("optical_crm_cycles.ir_cron_cycle_dispatch").sudo()._trigger()
        return processed

    @api.model
    def _optical_lock_due(self, now, limit):
        self.flush_model()
        return [
            row[0]
            for row in self.env.execute_query(
                SQL(
                    """
                    SELECT id FROM optical_cycle_execution
                     WHERE state = 'scheduled' AND scheduled_at <= %s
                     ORDER BY scheduled_at, id
                     LIMIT %s
                       FOR NO KEY UPDATE SKIP LOCKED
                    """,
                    now,
                    limit,
                )
            )
        ]

    def _optical_dispatch_locked(self, now):
        """Process locked due executions; an unexpected error in the batch is
        isolated to the execution that caused it, which fails with reason
        ``error`` instead of blocking the queue."""
        try:
            with self.env.cr.savepoint():
                self._optical_dispatch_batch(now)
        except CONCURRENCY_ERRORS:
            raise  # not the batch's fault: the whole transaction is retried
        except Exception:
            _logger.warning(
                "Cycle dispatch: batch of %s failed, retrying one by one", len(self)
            )
            self.env.invalidate_all()
            for execution in self:
                try:
                    with self.env.cr.savepoint():
                        execution._optical_dispatch_batch(now)
                except CONCURRENCY_ERRORS:
                    raise
                except Exception as error:  # noqa: BLE001 - recorded on the row
                    _logger.warning(
                        "Cycle dispatch: execution %s failed: %s", execution.id, error
                    )
                    self.env.invalidate_all()
                    execution._optical_close(
                        "failed", "error", failure_type=str(error)[:200]
                    )

    def _optical_dispatch_batch(self, now):
        """Exits, send window, throttle and contact policy, then the channel."""
        Enrollment = self.env["optical.cycle.enrollment"]
        enrollment_ids = self.enrollment_id.ids
        self._optical_apply_exits(self._optical_exit_reasons(self.ids))
        live = self.filtered(lambda x: x.state == "scheduled")
        for company in live.company_id:
            ready = live.filtered(lambda x, c=company: x.company_id == c)
            ready = ready._optical_hold(company, now)
            # service first: what it sends counts against the cap of promotions
            steps = ready.step_id.sorted(
                lambda s: (s.purpose != "service", s.cycle_id.id, s.sequence, s.id)
            )
            for step in steps:
                ready.filtered(lambda x, s=step: x.step_id == s)._optical_send_step(
                    step, company, now
                )
        Enrollment._optical_close_finished(enrollment_ids)

    def _optical_hold(self, company, now):
        """Postpone what may not go now (outside the send window, over the hourly
        limit); returns the executions that may go."""
        Policy = self.env["optical.contact.policy"]
        slot = Policy._optical_next_send_slot(company, now)
        if not slot or slot > now:
            self._optical_defer(slot or now + dt.timedelta(days=1), "quiet_hours")
            return self.browse()
        messages = self.filtered(lambda x: x.channel != "phone")
        quota = Policy._optical_hourly_quota(company, now)
        if quota is not None and len(messages) > quota:
            surplus = messages.sorted(
                lambda x: (x.step_id.purpose != "service", x.scheduled_at, x.id)
            )[quota:]
            next_hour = now.replace(minute=0, second=0, microsecond=0) + dt.timedelta(
                hours=1
            )
            surplus._optical_defer(
                Policy._optical_next_send_slot(company, next_hour) or next_hour,
                "throttle",
            )
            return self - surplus
        return self

    def _optical_send_step(self, step, company, now):
        """Contact policy for the step's channel and purpose, then send."""
        if not self:
            return
        Enrollment = self.env["optical.cycle.enrollment"]
        Policy = self.env["optical.contact.policy"]
        verdicts = Policy._optical_screen(
            self.partner_id, step.channel, step.purpose, company=company, at=now
        )
        exits, skips, holds = {}, defaultdict(list), defaultdict(list)
        to_send = self.browse()
        seen = set()
        for execution in self.sorted("id"):
            reason = verdicts.get(execution.partner_id.id)
            if reason in ("consent_revoked", "blacklisted"):
                exits[execution.enrollment_id.id] = "opt_out"
            elif reason == "archived":
                exits[execution.enrollment_id.id] = "partner_archived"
            elif reason and Policy._optical_holds(step.purpose, reason):
                holds[reason].append(execution.id)
            elif reason:
                skips[reason].append(execution.id)
            elif execution.partner_id.id in seen:
                skips["duplicate"].append(execution.id)
            else:
                seen.add(execution.partner_id.id)
                to_send |= execution
        if exits:
            Enrollment._optical_stop(exits)
        for reason, ids in skips.items():
            self.browse(ids)._optical_close("skipped", reason)
        for reason, ids in holds.items():
            self.browse(ids)._optical_hold_back(reason, company, now)
        if not to_send:
            return
        if step.channel == "phone":
            to_send._optical_send_calls(step, now)
        else:
            to_send._optical_send_mailing(step, company, now)

    def _optical_send_mailing(self, step, company, now):
        """Hand the batch to the step's mailing: ``sms.sms``/``mail.mail`` rows and
        their traces are created in this transaction, queued (not sent): the
        queues' own crons send them after the commit, so a crash before the
        commit sends nothing and a crash after it loses nothing."""
        mailing = step.mailing_id.sudo()
        if not mailing:
            self._optical_close("failed", "error", failure_type="no mailing")
            return
        # the shop as current company: whatever SMS routing or defaults depend on it
        mailing = mailing.with_company(company).with_context(
            optical_cycle_res_ids=self.ids
        )
        if step.channel == "sms":
            mailing.action_send_sms(res_ids=self.ids)
        else:
            self._optical_compose_email(mailing, company)
        self.env["mailing.trace"].flush_model()
        traces = {
            res_id: (trace_id, status, failure)
            for res_id, trace_id, status, failure in self.env.execute_query(
                SQL(
                    """
                    SELECT res_id, id, trace_status, failure_type FROM mailing_trace
                     WHERE mass_mailing_id = %s AND model = %s AND res_id = ANY(%s)
                    """,
                    mailing.id,
                    self._name,
                    self.ids,
                )
            )
        }
        sent_rows, skips, failures = [], defaultdict(list), defaultdict(list)
        for execution in self:
            trace = traces.get(execution.id)
            if not trace:
                failures["no trace"].append(execution.id)
            elif trace[1] in ("cancel", "error"):
                reason = TRACE_SKIP_REASONS.get(trace[2])
                if reason:
                    skips[reason].append(execution.id)
                else:
                    failures[trace[2] or "unknown"].append(execution.id)
            else:
                sent_rows.append((execution, trace[0]))
        for reason, ids in skips.items():
            self.browse(ids)._optical_close("skipped", reason)
        for failure, ids in failures.items():
            self.browse(ids)._optical_close(
                "failed", "provider_refused", failure_type=failure
            )
        self._optical_mark_sent(sent_rows, now, "sent")
        self.env["optical.contact.policy"]._optical_log_sent(
            [
                {
                    "partner_id": execution.partner_id.id,
                    "company_id": company.id,
                    "channel": step.channel,
                    "purpose": step.purpose,
                    "datetime": now,
                    "res_model": step._name,
                    "res_id": step.id,
                    "mailing_id": mailing.id,
                    "mailing_trace_id": trace_id,
                }
                for execution, trace_id in sent_rows
            ]
        )

    def _optical_compose_email(self, mailing, company):
        """Mass-mail composer in this transaction (the mailing's own sending
        commits by itself, which would break exactly-once)."""
        composer = (
            self.env["mail.compose.message"]
            .sudo()
            .with_context(
                active_ids=self.ids,
                default_composition_mode="mass_mail",
                **mailing._get_mass_mailing_context(),
            )
            .create(
                {
                    "auto_delete": not mailing.keep_archives,
                    "author_id": company.partner_id.id,
                    "body": mailing._prepend_preview(
                        mailing.body_html or "", mailing.preview
                    ),
                    "composition_mode": "mass_mail",
                    # queued, never sent inside this transaction
                    "force_send": False,
                    "email_from": mailing.email_from or company.email_formatted,
                    "mail_server_id": mailing.mail_server_id.id,
                    "mass_mailing_id": mailing.id,
                    "model": self._name,
                    "record_name": False,
                    "reply_to_force_new": mailing.reply_to_mode == "new",
                    "reply_to": mailing.reply_to
                    if mailing.reply_to_mode == "new"
                    else False,
                    "subject": mailing.subject,
                    "template_id": False,
                }
            )
        )
        composer._action_send_mail(auto_commit=False)

    def _optical_send_calls(self, step, now):
        """Phone steps: one call activity per customer, on the customer."""
        partner_model = self.env["ir.model"]._get_id("res.partner")
        tz = step.cycle_id._optical_tz()
        today = pytz.utc.localize(now).astimezone(tz).date()
        activities = (
            self.env["mail.activity"]
            .sudo()
            .with_context(mail_activity_quick_update=True)
            .create(
                [
                    {
                        "res_model_id": partner_model,
                        "res_id": execution.partner_id.id,
                        "activity_type_id": step.activity_type_id.id,
                        "summary": step.activity_summary or step.name,
                        "note": step.activity_note,
                        "date_deadline": today,
                        "automated": True,
                        "user_id": (
                            step.activity_user_id
                            or execution.partner_id.user_id
                            or step.cycle_id.user_id
                            or self.env.ref("base.user_admin")
                        ).id,
                        "optical_cycle_execution_id": execution.id,
                    }
                    for execution in self
                ]
            )
        )
        self.flush_recordset()
        self.env.cr.execute(
            SQL(
                """
                UPDATE optical_cycle_execution x
                   SET state = 'sent', reason = 'call_planned', sent_at = %s,
                       activity_id = a.id, write_date = %s
                  FROM mail_activity a
                 WHERE a.optical_cycle_execution_id = x.id AND a.id = ANY(%s)
                   AND x.state = 'scheduled'
                """,
                now,
                now,
                activities.ids,
            )
        )
        self.invalidate_recordset()

    def _optical_mark_sent(self, rows, now, reason):
        if not rows:
            return
        self.flush_recordset()
        values = SQL(", ").join(
            SQL("(%s, %s)", execution.id, trace_id) for execution, trace_id in rows
        )
        self.env.cr.execute(
            SQL(
                """
                UPDATE optical_cycle_execution x
                   SET state = 'sent', reason = %s, sent_at = %s,
                       mailing_trace_id = v.trace_id, write_date = %s
                  FROM (VALUES %s) AS v(id, trace_id)
                 WHERE x.id = v.id AND x.state = 'scheduled'
                """,
                reason,
                now,
                now,
                values,
            )
        )
        self.invalidate_recordset()

    # ------------------------------------------------------------------ retries
    @api.model
    def _optical_reconcile(self, now):
        """Messages handed to a channel that then failed: temporary failures are
        queued again (same sms/mail, same trace) after a growing delay, up to
        MAX_RETRIES; the others, and those out of retries, end ``failed``."""
        self.flush_model()
        self.env["mailing.trace"].flush_model()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT x.id, x.channel, x.retry_count, x.retry_at, t.id,
                       t.failure_type, t.sms_id_int, t.mail_mail_id_int
                  FROM optical_cycle_execution x
                  JOIN mailing_trace t ON t.id = x.mailing_trace_id
                 WHERE x.state = 'sent' AND t.trace_status IN ('error', 'bounce')
                   AND x.sent_at >= %s
                   FOR NO KEY UPDATE OF x SKIP LOCKED
                """,
                now - dt.timedelta(days=30),
            )
        )
        if not rows:
            return
        wait, requeue_sms, requeue_mail, failed = [], [], [], defaultdict(list)
        for xid, channel, count, retry_at, trace_id, failure, sms_id, mail_id in rows:
            temporary = (failure or "unknown") in TEMPORARY_FAILURES
            if temporary and count < MAX_RETRIES:
                if not retry_at:
                    wait.append((xid, now + RETRY_DELAY * (4**count)))
                elif retry_at <= now:
                    target = requeue_sms if channel == "sms" else requeue_mail
                    target.append(
                        (xid, trace_id, sms_id if channel == "sms" else mail_id)
                    )
            else:
                reason = "retries_exhausted" if temporary else "provider_refused"
                if failure in UNCERTAIN_FAILURES:
                    reason = "outcome_unknown"
                failed[(reason, failure)].append(xid)
        for xid, when in wait:
            self.env.cr.execute(
                SQL(
                    "UPDATE optical_cycle_execution SET retry_at = %s WHERE id = %s",
                    when,
                    xid,
                )
            )
        requeued = self._optical_requeue(requeue_sms, requeue_mail)
        missing = [
            xid for xid, _t, _m in requeue_sms + requeue_mail if xid not in requeued
        ]
        if missing:
            failed[("retries_exhausted", "gone")] += missing
        for (reason, failure), ids in failed.items():
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE optical_cycle_execution
                       SET state = 'failed', reason = %s, failure_type = %s,
                           write_date = %s
                     WHERE id = ANY(%s)
                    """,
                    reason,
                    failure,
                    now,
                    ids,
                )
            )
        self.invalidate_model()

    @api.model
    def _optical_requeue(self, sms_rows, mail_rows):
        """Put failed sms/mails back in their queue; returns the execution ids."""
        done = set()
        if sms_rows:
            sms = (
                self.env["sms.sms"]
                .sudo()
                .browse([sms_id for _x, _t, sms_id in sms_rows if sms_id])
                .exists()
                .filtered(lambda s: s.state == "error")
            )
            sms.write({"state": "outgoing", "failure_type": False})
            ok = set(sms.ids)
            done |= {xid for xid, _t, sms_id in sms_rows if sms_id in ok}
        if mail_rows:
            mails = (
                self.env["mail.mail"]
                .sudo()
                .browse([mail_id for _x, _t, mail_id in mail_rows if mail_id])
                .exists()
                .filtered(lambda m: m.state == "exception")
            )
            mails.mark_outgoing()
            ok = set(mails.ids)
            done |= {xid for xid, _t, mail_id in mail_rows if mail_id in ok}
        traces = [t for xid, t, _m in sms_rows + mail_rows if xid in done]
        if traces:
            self.env["mailing.trace"].sudo().browse(traces).write(
                {"trace_status": "outgoing", "failure_type": False}
            )
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE optical_cycle_execution
                       SET retry_count = retry_count + 1, retry_at = NULL
                     WHERE id = ANY(%s)
                    """,
                    list(done),
                )
            )
        return done

    # ------------------------------------------------------------------ calls
    def _optical_call_done(self):
        """A call activity was marked done: the message is logged as sent."""
        pending = self.filtered(lambda x: not x.call_done)
        if not pending:
            return
        pending.sudo().write({"call_done": True})
        self.env["optical.contact.policy"]._optical_log_sent(
            [
                {
                    "partner_id": execution.partner_id.id,
                    "company_id": execution.company_id.id,
                    "channel": "phone",
                    "purpose": execution.step_id.purpose,
                    "res_model": "optical.cycle.step",
                    "res_id": execution.step_id.id,
                }
                for execution in pending
            ]
        )

    def _optical_call_cancelled(self):
        pending = self.filtered(lambda x: x.state == "sent" and not x.call_done)
        if pending:
            pending.sudo().write({"state": "cancelled", "reason": "call_cancelled"})

    # ------------------------------------------------------------------ actions
    def action_cancel(self):
        """Manual cancel of scheduled messages (managers)."""
        if not self.env.user.has_group("optical_crm.group_optical_manager"):
            raise UserError(self.env._("Only managers can cancel planned messages."))
        self.filtered(lambda x: x.state == "scheduled")._optical_close(
            "cancelled", "manual"
        )
