"""Every SMS of Odoo through the company's provider, exactly once.

``sms.sms._send`` (called by ``send()`` in batches) leaves the messages of companies
without an own provider to Odoo IAP (``super()``). For the others, per batch:

1. lock the due ``outgoing`` rows (``FOR NO KEY UPDATE SKIP LOCKED``): another
   worker sending at the same time skips them;
2. normalise the numbers (mobile only) and mark the rows in flight: state
   ``process``, provider, reference (``order_id`` = the SMS uuid, 32 characters),
   attempt count, time; commit (outside tests, when the caller commits per batch)
   and lock them again for the time of the calls;
3. call the provider (parallel connections);
4. reconcile each message: accepted -> ``pending`` (Sent), refused for good ->
   ``error`` with the failure type, temporary failure -> ``outgoing`` again with
   a backoff (429 Retry-After honoured), uncertain (timeout, reset, 5xx, unreadable
   answer) -> stays in flight until the provider is asked whether it has it.

A row left in flight by a crash (or an uncertain outcome) is never sent again
without asking the provider first (``_optical_recover_in_flight``); only a
failure the provider confirmed is retried: "not found" counts after a grace
period, and a message whose outcome stays unknown for a day fails as
``optical_outcome_unknown`` (never queued again, by this layer, the cycles or a
"retry" button). Shops on Odoo IAP get the same marking (sms_sms_iap.py).
Delivery reports (sms_sms_reports.py) only move a message forward: a late "sent"
never overwrites "delivered".
"""

import logging
import threading
from collections import defaultdict
from datetime import timedelta
from functools import partial

import psycopg2

from odoo import api, fields, models
from odoo.modules.registry import Registry
from odoo.tools import SQL

from ..tools.phone import normalize_mobile

_logger = logging.getLogger(__name__)

OPTICAL_FAILURE_TYPES = [
    ("optical_not_mobile", "Not a mobile number"),
    ("optical_several_numbers", "Several numbers in one field"),
    ("optical_extension", "Number with an extension"),
    ("optical_blocked", "Blocked by the provider"),
    ("optical_sender", "Sender refused by the provider"),
    ("optical_outcome_unknown", "Outcome unknown, not retried"),
]
# failures the provider did not confirm: the message may have been delivered
OUTCOME_UNKNOWN = "optical_outcome_unknown"
DELIVERY_FAILURE_TYPES = [
    ("sms_expired", "Expired"),
    ("sms_invalid_destination", "Invalid Destination"),
    ("sms_not_allowed", "Not Allowed"),
    ("sms_not_delivered", "Not Delivered"),
    ("sms_rejected", "Rejected"),
]
# provider client failures -> failure types
CLIENT_FAILURES = {
    "number": "sms_number_format",
    "not_mobile": "optical_not_mobile",
    "blocked": "optical_blocked",
    "credit": "sms_credit",
    "account": "sms_acc",
    "sender": "optical_sender",
    "country": "sms_country_not_supported",
    "content": "sms_rejected",
}
# number normalisation errors -> failure types
NUMBER_FAILURES = {
    "missing": "sms_number_missing",
    "several": "optical_several_numbers",
    "extension": "optical_extension",
    "invalid": "sms_number_format",
    "not_mobile": "optical_not_mobile",
}
CLIENT_FAILURES.update(NUMBER_FAILURES)
# how far a message has gone: reports only move it forward
SMS_RANK = {
    "outgoing": 0,
    "process": 1,
    "pending": 2,
    "sent": 3,
    "error": 3,
    "canceled": 3,
}
TRACE_RANK = {
    "outgoing": 0,
    "process": 1,
    "pending": 2,
    "sent": 3,
    "open": 3,
    "reply": 3,
    "bounce": 3,
    "error": 3,
    "cancel": 3,
}
NOTIFICATION_RANK = {
    "ready": 0,
    "process": 1,
    "pending": 2,
    "sent": 3,
    "bounce": 3,
    "exception": 3,
    "canceled": 3,
}
REPORT_RANK = {"pending": 2, "delivered": 3, "failed": 3}

STALE_IN_FLIGHT = timedelta(minutes=5)  # in flight without a live worker
GIVE_UP_UNKNOWN = timedelta(hours=24)  # provider unreachable: outcome unknown
# "not found" this soon after the call may be the provider's lag, not a message
# it never got: Twilio's list of messages (searched by recipient and text) lags;
# the Skebby family finds a message by our own order id
LOOKUP_GRACE = {"twilio": timedelta(minutes=30)}
LOOKUP_GRACE_DEFAULT = timedelta(minutes=5)
CLOCK_SKEW = timedelta(minutes=2)  # provider's clock vs ours (creation time match)
POLL_AFTER = timedelta(minutes=10)  # leave time to the delivery report first
POLL_EVERY = timedelta(minutes=30)
POLL_WINDOW = timedelta(days=3)
QUEUE_LIMIT = 10000  # per run of the scheduled action, as in Odoo
QUEUE_PAGE = 1000
IN_FLIGHT_FIELDS = [
    "state",
    "number",
    "failure_type",
    "to_delete",
    "optical_provider_id",
    "optical_provider_ref",
    "optical_in_flight_since",
    "optical_next_try_at",
    "optical_attempt_count",
    "optical_sent_at",
    "optical_failure_reason",
    "optical_polled_at",
]


def _testing():
    return getattr(threading.current_thread(), "testing", False)


def _send_after_commit(dbname, uid, context, ids):
    """Send SMS queued by a user transaction once it is committed.

    Sending inside the user's transaction could not commit the in-flight marks;
    here each batch is marked, committed, sent and reconciled.
    """
    try:
        with Registry(dbname).cursor() as cr:
            env = api.Environment(cr, uid, context)
            env["sms.sms"].browse(ids).exists().send(auto_commit=True)
    except Exception:
        _logger.exception("SMS sending after commit failed; the SMS queue will retry")


def _unnest(rows, types):
    """``unnest(...)`` of the columns of ``rows`` (one array per column)."""
    columns = list(zip(*rows, strict=True)) or [() for _type in types]
    return SQL(", ").join(
        SQL(f"%s::{sql_type}[]", list(column))
        for column, sql_type in zip(columns, types, strict=True)
    )


class SmsSms(models.Model):
    _inherit = "sms.sms"

    failure_type = fields.Selection(
        selection_add=DELIVERY_FAILURE_TYPES + OPTICAL_FAILURE_TYPES,
        ondelete={
            key: "set null"
            for key, _label in DELIVERY_FAILURE_TYPES + OPTICAL_FAILURE_TYPES
        },
    )
    optical_company_id = fields.Many2one(
        "res.company",
        string="Company",
        help="Company whose SMS provider sends this message.",
    )
    optical_provider_id = fields.Many2one(
        "optical.sms.provider",
        string="Provider",
        index="btree_not_null",
        readonly=True,
        ondelete="restrict",
    )
    optical_provider_ref = fields.Char(
        string="Provider reference",
        index="btree_not_null",
        readonly=True,
        copy=False,
        help="Reference of the message at the provider (order id, message SID).",
    )
    optical_attempt_count = fields.Integer(string="Attempts", readonly=True, copy=False)
    optical_in_flight_since = fields.Datetime(
        string="In flight since", readonly=True, copy=False
    )
    optical_next_try_at = fields.Datetime(
        string="Next attempt", index="btree_not_null", readonly=True, copy=False
    )
    optical_sent_at = fields.Datetime(string="Accepted on", readonly=True, copy=False)
    optical_polled_at = fields.Datetime(
        string="Last status check", readonly=True, copy=False
    )
    optical_failure_reason = fields.Char(
        string="Failure details", readonly=True, copy=False
    )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if not vals.get("optical_company_id"):
                message = self.env["mail.message"].browse(
                    vals.get("mail_message_id") or []
                )
                vals["optical_company_id"] = (
                    message.sudo().record_company_id.id or self.env.company.id
                )
        records = super().create(vals_list)
        queued = records.filtered(lambda sms: sms.state == "outgoing")
        if queued and any(provider for provider in queued._optical_split()):
            self.env.ref("sms.ir_cron_sms_scheduler_action").sudo()._trigger()
        return records

    # ------------------------------------------------------------------
    # Routing
    # ------------------------------------------------------------------

    def _optical_split(self):
        """``{provider or False: sms}``: False holds the messages left to Odoo IAP."""
        providers_by_company = {}
        ids = defaultdict(list)
        for sms in self:
            company = sms.optical_company_id or sms.mail_message_id.record_company_id
            company = company or self.env.company
            if company not in providers_by_company:
                provider = self.env["optical.sms.provider"]._optical_for_company(
                    company
                )
                providers_by_company[company] = (
                    provider if provider and provider._optical_routes() else False
                )
            ids[providers_by_company[company]].append(sms.id)
        return {provider: self.browse(sms_ids) for provider, sms_ids in ids.items()}

    def _optical_autocommit(self):
        return bool(self.env.context.get("optical_sms_commit")) and not _testing()

    def send(
        self,
        unlink_failed=False,
        unlink_sent=True,
        auto_commit=False,
        raise_exception=False,
    ):
        records = self
        if auto_commit is True and not _testing():
            records = self.with_context(optical_sms_commit=True)
        elif not _testing() and not self.env.context.get("optical_sms_commit"):
            queued = self.filtered(
                lambda sms: sms.state == "outgoing" and not sms.to_delete
            )
            # every queued SMS (provider or Odoo IAP) is marked in flight and
            # committed before its call: sent once this transaction is committed
            routed_ids = [] if raise_exception else queued.ids
            if routed_ids:
                self.env.cr.postcommit.add(
                    partial(
                        _send_after_commit,
                        self.env.cr.dbname,
                        self.env.uid,
                        dict(self.env.context),
                        routed_ids,
                    )
                )
                routed = set(routed_ids)
                records = self.browse(
                    [sms_id for sms_id in self.ids if sms_id not in routed]
                )
        return super(SmsSms, records).send(
            unlink_failed=unlink_failed,
            unlink_sent=unlink_sent,
            auto_commit=auto_commit,
            raise_exception=raise_exception,
        )

    @api.model
    def _process_queue(self, ids=None):
        """Send the due queued SMS (Odoo's queue, plus retries and in-flight checks)."""
        auto_commit = not _testing()
        try:
            self.with_context(
                optical_sms_commit=auto_commit
            )._optical_recover_in_flight()
        except Exception:
            _logger.exception("Failed checking SMS left in flight")
            self.env.cr.rollback()
        now = fields.Datetime.now()
        domain = [
            ("state", "=", "outgoing"),
            ("to_delete", "!=", True),
            "|",
            ("optical_next_try_at", "=", False),
            ("optical_next_try_at", "<=", now),
        ]
        wanted = set(ids) if ids else None
        res, last_id, done, more = None, 0, 0, False
        try:
            # pages of the queue: memory stays flat however long the queue is
            while True:
                if done >= QUEUE_LIMIT:
                    more = True
                    break
                page = self.search(
                    domain + [("id", ">", last_id)], limit=QUEUE_PAGE, order="id"
                ).ids
                if not page:
                    break
                last_id, done = page[-1], done + len(page)
                todo = page if wanted is None else [i for i in page if i in wanted]
                if todo:
                    res = self.browse(todo).send(
                        unlink_failed=False,
                        unlink_sent=True,
                        auto_commit=auto_commit,
                        raise_exception=False,
                    )
        except Exception:
            _logger.exception("Failed processing SMS queue")
            if auto_commit:
                self.env.cr.rollback()  # rows in flight are checked by the next run
        self._optical_schedule_queue(more=more)
        return res

    @api.model
    def _optical_schedule_queue(self, more=False):
        """Wake the SMS queue again for what is left and the next retry."""
        cron = self.env.ref("sms.ir_cron_sms_scheduler_action").sudo()
        if more:
            cron._trigger()
        self.env.cr.execute(
            SQL(
                "SELECT MIN(optical_next_try_at) FROM sms_sms WHERE state IN "
                "('outgoing', 'process') AND optical_next_try_at IS NOT NULL "
                "AND to_delete IS NOT TRUE"
            )
        )
        next_try = self.env.cr.fetchone()[0]
        if next_try:
            cron._trigger(at=max(next_try, fields.Datetime.now()))

    # ------------------------------------------------------------------
    # Sending through a provider
    # ------------------------------------------------------------------

    def _optical_locked_rows(self, query):
        """Run a ``SELECT ... FOR NO KEY UPDATE SKIP LOCKED``; return its rows.

        Odoo's transactions are REPEATABLE READ: a row another worker changed since
        this transaction's snapshot cannot be locked (serialization failure). Then,
        when this worker commits per batch, it commits (only finished work is
        pending) and tries once more with a fresh snapshot; otherwise it takes
        nothing now and leaves the rows to a later run.
        """
        for attempt in range(2):
            try:
                with self.env.cr.savepoint(flush=False):
                    self.env.cr.execute(query)
                    return self.env.cr.fetchall()
            except psycopg2.errors.SerializationFailure:
                if attempt or not self._optical_autocommit():
                    return []
                self.env.cr.commit()  # pylint: disable=invalid-commit
        return []

    def _optical_lock(self, ids, state, skip_locked=True):
        """Lock the rows of ``ids`` still in ``state``; return the locked ids."""
        if not ids:
            return []
        self.env.flush_all()
        query = SQL(
            "SELECT id FROM sms_sms WHERE id IN %s AND state = %s "
            "AND to_delete IS NOT TRUE ORDER BY id FOR NO KEY UPDATE %s",
            tuple(ids),
            state,
            SQL("SKIP LOCKED") if skip_locked else SQL(""),
        )
        if skip_locked:
            return [row[0] for row in self._optical_locked_rows(query)]
        self.env.cr.execute(query)
        return [row[0] for row in self.env.cr.fetchall()]

    def _optical_update(self, query, *args):
        """Run an UPDATE ... RETURNING id, invalidate the cache, return the ids."""
        self.env.flush_all()
        self.env.cr.execute(SQL(query, *args))
        ids = [row[0] for row in self.env.cr.fetchall()]
        self.env["sms.sms"].invalidate_model(IN_FLIGHT_FIELDS)
        return ids

    def _optical_send(self, provider, unlink_failed=False):
        """Send this batch through ``provider`` (see the module docstring)."""
        now = fields.Datetime.now()
        self.env.flush_all()
        # lock the due queued rows (another worker skips them) and read them
        rows = self._optical_locked_rows(
            SQL(
                """
                SELECT id, uuid, number, body FROM sms_sms
                 WHERE id IN %s AND state = 'outgoing' AND to_delete IS NOT TRUE
                   AND (optical_next_try_at IS NULL OR optical_next_try_at <= %s)
                 ORDER BY id
                   FOR NO KEY UPDATE SKIP LOCKED
                """,
                tuple(self.ids),
                now,
            )
        )
        if not rows:
            return
        callback = provider.provider_type == "twilio" and provider._optical_report_url()
        items = [
            {
                "id": sms_id,
                "uuid": uuid,
                "number": number,
                "body": body or "",
                "callback": callback and f"{callback}?ref={uuid}",
            }
            for sms_id, uuid, number, body in rows
        ]
        attempts = self._optical_mark_in_flight(provider, items, now)
        item_ids = [item["id"] for item in items]
        if self._optical_autocommit():
            self.env.cr.commit()  # pylint: disable=invalid-commit
            # hold the rows for the time of the calls: a reconciler skips them
            self._optical_lock(item_ids, "process", skip_locked=False)
        _logger.info("Sending %s SMS through provider %s", len(items), provider.id)
        outcomes = provider._optical_call_send(items)
        self.browse(item_ids)._optical_reconcile(
            provider,
            outcomes,
            unlink_failed,
            attempts=attempts,
            uuids={item["id"]: item["uuid"] for item in items},
            numbers={item["id"]: item.get("e164") for item in items},
        )

    def _optical_mark_in_flight(self, provider, items, now):
        """Mark ``items`` in flight; return ``{id: attempt number}``."""
        if not items:
            return {}
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                UPDATE sms_sms AS s
                   SET state = 'process', optical_provider_id = %s,
                       optical_provider_ref = CASE WHEN %s THEN s.uuid END,
                       optical_in_flight_since = %s, optical_next_try_at = NULL,
                       optical_attempt_count = COALESCE(s.optical_attempt_count, 0) + 1,
                       write_date = %s, write_uid = %s
                 WHERE s.id = ANY(%s) AND s.state = 'outgoing'
             RETURNING s.id, s.optical_attempt_count
                """,
                provider.id,
                provider.provider_type == "skebby",
                now,
                now,
                self.env.uid,
                [item["id"] for item in items],
            )
        )
        attempts = dict(self.env.cr.fetchall())
        self.env["sms.sms"].invalidate_model(IN_FLIGHT_FIELDS)
        return attempts

    def _optical_reconcile(
        self,
        provider,
        outcomes,
        unlink_failed=False,
        attempts=None,
        uuids=None,
        numbers=None,
    ):
        """Write the outcome of each call (``{id: Outcome}``) on its message."""
        now = fields.Datetime.now()
        if attempts is None:
            attempts = {sms.id: sms.optical_attempt_count for sms in self}
        max_attempts = max(provider.max_attempts, 1)
        accepted, failed, retry, check, deferred = [], {}, [], [], []
        for sms_id, outcome in outcomes.items():
            if outcome.kind == "accepted":
                accepted.append((sms_id, outcome.ref, (numbers or {}).get(sms_id)))
            elif outcome.kind == "permanent":
                failed[sms_id] = (
                    CLIENT_FAILURES.get(outcome.failure, "unknown"),
                    outcome.detail,
                )
            elif outcome.kind == "deferred":
                delay = provider._optical_backoff(
                    attempts[sms_id] - 1, outcome.retry_after
                )
                deferred.append(
                    (sms_id, now + timedelta(seconds=delay), outcome.detail)
                )
            elif outcome.kind == "temporary" and attempts[sms_id] >= max_attempts:
                failed[sms_id] = (
                    "sms_server",
                    f"{outcome.detail} ({attempts[sms_id]} attempts)",
                )
            else:
                delay = provider._optical_backoff(attempts[sms_id], outcome.retry_after)
                target = retry if outcome.kind == "temporary" else check
                target.append((sms_id, now + timedelta(seconds=delay), outcome.detail))
        self._optical_set_accepted(accepted, now, uuids=uuids)
        self._optical_set_failed(failed, unlink_failed, from_states=("process",))
        self._optical_set_later(retry, requeue=True)
        self._optical_set_later(deferred, requeue=True, uncount=True)
        self._optical_set_later(check, requeue=False)
        _logger.info(
            "SMS provider %s: %s accepted, %s failed, %s to retry, %s to check",
            provider.id,
            len(accepted),
            len(failed),
            len(retry) + len(deferred),
            len(check),
        )
        self.exists().mail_message_id._notify_message_notification_update()

    def _optical_set_accepted(
        self, pairs, now, from_states=("process", "outgoing"), uuids=None
    ):
        """``pairs`` of (id, provider reference[, E.164 number used]): the provider
        has the message.

        ``uuids`` (``{id: uuid}``), when known, saves reading them again.
        """
        if not pairs:
            return self.browse()
        ids = self._optical_update(
            """
            UPDATE sms_sms AS s
               SET state = 'pending', failure_type = NULL,
                   optical_failure_reason = NULL,
                   optical_provider_ref = COALESCE(v.ref, s.optical_provider_ref),
                   number = COALESCE(v.number, s.number),
                   optical_sent_at = COALESCE(s.optical_sent_at, %s),
                   optical_next_try_at = NULL
              FROM unnest(%s) AS v(id, ref, number)
             WHERE s.id = v.id AND s.state IN %s
         RETURNING s.id
            """,
            now,
            _unnest(
                (
                    (row[0], row[1] or None, row[2] if len(row) > 2 else None)
                    for row in pairs
                ),
                ("int", "varchar", "varchar"),
            ),
            tuple(from_states),
        )
        sms = self.browse(ids).with_context(sms_skip_msg_notification=True)
        if uuids is None:
            trackers = sms.sms_tracker_id
        else:
            trackers = self.env["sms.tracker"].search(
                [("sms_uuid", "in", [uuids[sms_id] for sms_id in ids])]
            )
        trackers.with_context(
            sms_skip_msg_notification=True
        )._action_update_from_sms_state("pending")
        return sms

    def _optical_set_later(self, rows, requeue, uncount=False):
        """``rows`` of (id, when, details): try again (``requeue``: queued again, else
        still in flight, to ask the provider) at ``when``; ``uncount``: the message
        was not sent, the attempt does not count."""
        if not rows:
            return []
        return self._optical_update(
            """
            UPDATE sms_sms AS s
               SET state = CASE WHEN %s THEN 'outgoing' ELSE s.state END,
                   optical_attempt_count = s.optical_attempt_count - %s,
                   optical_next_try_at = v.at, optical_failure_reason = v.reason
              FROM unnest(%s) AS v(id, at, reason)
             WHERE s.id = v.id AND s.state = 'process'
         RETURNING s.id
            """,
            bool(requeue),
            1 if uncount else 0,
            _unnest(rows, ("int", "timestamp", "varchar")),
        )

    def _optical_set_failed(
        self, failed, unlink_failed=False, from_states=("process",)
    ):
        """``failed``: ``{id: (failure type, details)}``, final."""
        if not failed:
            return self.browse()
        ids = self._optical_update(
            """
            UPDATE sms_sms AS s
               SET state = 'error', failure_type = v.failure,
                   optical_failure_reason = v.reason,
                   optical_next_try_at = NULL, to_delete = %s
              FROM unnest(%s) AS v(id, failure, reason)
             WHERE s.id = v.id AND s.state IN %s
         RETURNING s.id
            """,
            bool(unlink_failed),
            _unnest(
                (
                    (sms_id, failure, reason or None)
                    for sms_id, (failure, reason) in failed.items()
                ),
                ("int", "varchar", "varchar"),
            ),
            tuple(from_states),
        )
        groups = defaultdict(list)
        for sms_id in ids:
            groups[failed[sms_id]].append(sms_id)
        for (failure, reason), sms_ids in groups.items():
            sms = self.browse(sms_ids).with_context(sms_skip_msg_notification=True)
            sms.sms_tracker_id._action_update_from_sms_state(
                "error", failure_type=failure, failure_reason=reason or False
            )
        return self.browse(ids)

    # ------------------------------------------------------------------
    # Messages left in flight
    # ------------------------------------------------------------------

    @api.model
    def _optical_recover_in_flight(self, limit=500):
        """Ask the provider about messages left in flight; never resend blindly.

        Rows still locked by a live worker are skipped. Found at the provider:
        accepted (with its state); unknown to it once the grace period is over:
        queued again (or failed after the last attempt); provider unreachable:
        asked again later, and after a day the message fails with "outcome
        unknown, not retried". Odoo IAP cannot be asked: its messages left in
        flight without an answer or a delivery report fail so after a day.
        """
        now = fields.Datetime.now()
        self.env.flush_all()
        rows = self._optical_locked_rows(
            SQL(
                """
                SELECT id FROM sms_sms
                 WHERE state = 'process' AND optical_provider_id IS NOT NULL
                   AND to_delete IS NOT TRUE
                   AND (optical_next_try_at <= %s
                        OR (optical_next_try_at IS NULL
                            AND optical_in_flight_since <= %s))
                 ORDER BY id LIMIT %s
                   FOR NO KEY UPDATE SKIP LOCKED
                """,
                now,
                now - STALE_IN_FLIGHT,
                limit,
            )
        )
        ids = [row[0] for row in rows]
        records = self.sudo().browse(ids)
        for provider, batch in records.grouped("optical_provider_id").items():
            batch._optical_recover_batch(provider, now)
        iap = self._optical_give_up_iap(now, limit)
        if (ids or iap) and self._optical_autocommit():
            self.env.cr.commit()  # pylint: disable=invalid-commit
        return len(ids) + len(iap)

    def _optical_recover_batch(self, provider, now):
        items, rows = [], {}
        region = provider.company_id.country_id.code
        for sms in self:
            rows[sms.id] = (
                sms.optical_attempt_count,
                sms.optical_in_flight_since,
                sms.optical_failure_reason,
            )
            items.append(
                {
                    "id": sms.id,
                    "ref": sms.optical_provider_ref or sms.uuid,
                    # the number as it was sent
                    "number": normalize_mobile(sms.number, region).e164 or sms.number,
                    "body": sms.body or "",
                    # created by the provider after it was marked in flight
                    "since": (sms.optical_in_flight_since or now) - CLOCK_SKEW,
                }
            )
        reports = self._optical_pick(provider, provider._optical_call_lookup(items))
        accepted, finals, requeue, failed, wait = [], [], [], {}, []
        max_attempts = max(provider.max_attempts, 1)
        grace = LOOKUP_GRACE.get(provider.provider_type, LOOKUP_GRACE_DEFAULT)
        for sms_id, report in reports.items():
            attempts, since, reason = rows[sms_id]
            if report.found:
                accepted.append((sms_id, report.ref))
                if report.state in ("delivered", "failed"):
                    finals.append(("id", sms_id, report))
            elif report.found is False and since and now - since < grace:
                # maybe not listed yet (still queued at the provider): not resent
                wait.append((sms_id, since + grace, report.detail))
            elif report.found is False and attempts >= max_attempts:
                failed[sms_id] = (
                    "sms_server",
                    f"{reason or report.detail} ({attempts} attempts)",
                )
            elif report.found is False:
                requeue.append(sms_id)
            elif since and now - since > GIVE_UP_UNKNOWN:
                failed[sms_id] = (
                    OUTCOME_UNKNOWN,
                    f"outcome unknown, not retried: {report.detail}",
                )
            else:
                delay = provider._optical_backoff(attempts)
                wait.append((sms_id, now + timedelta(seconds=delay), report.detail))
        self._optical_set_accepted(accepted, now, from_states=("process",))
        self._optical_set_failed(failed, from_states=("process",))
        if requeue:
            self._optical_update(
                "UPDATE sms_sms SET state = 'outgoing', optical_next_try_at = NULL "
                "WHERE id IN %s AND state = 'process' RETURNING id",
                tuple(requeue),
            )
        self._optical_set_later(wait, requeue=False)
        if finals:
            self._optical_apply_reports(provider, finals)
        _logger.info(
            "SMS provider %s: %s in flight checked: %s accepted, %s queued again, "
            "%s failed, %s to check later",
            provider.id,
            len(items),
            len(accepted),
            len(requeue),
            len(failed),
            len(wait),
        )

    @api.model
    def _optical_pick(self, provider, reports):
        """Keep, per message, the first candidate the provider listed (earliest
        created since it was marked in flight) that no other SMS holds: an
        identical text sent to the same number is another SMS's message.
        ``reports``: ``{id: Report}``; returns it, candidates resolved."""
        refs = {c.ref for report in reports.values() for c in report.candidates}
        if not refs:
            return reports
        self.env.flush_all()
        taken = dict(
            self.env.execute_query(
                SQL(
                    "SELECT optical_provider_ref, id FROM sms_sms "
                    "WHERE optical_provider_id = %s AND optical_provider_ref = ANY(%s)",
                    provider.id,
                    list(refs),
                )
            )
        )
        used = set()
        for sms_id in sorted(reports):
            report = reports[sms_id]
            if not report.candidates:
                continue
            pick = next(
                (
                    candidate
                    for candidate in report.candidates
                    if candidate.ref not in used
                    and taken.get(candidate.ref, sms_id) == sms_id
                ),
                None,
            )
            if pick:
                used.add(pick.ref)
                reports[sms_id] = pick._replace(candidates=())
            else:
                reports[sms_id] = report._replace(
                    found=False,
                    ref=False,
                    candidates=(),
                    detail="not found (only messages of other SMS)",
                )
        return reports
