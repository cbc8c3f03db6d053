"""sms.sms, delivery reports: applied in any order, only forward; the polling
fallback for lost reports; the inbox of reports received over HTTP."""

from odoo import api, fields, models
from odoo.tools import SQL

from .sms_sms import (
    NOTIFICATION_RANK,
    POLL_AFTER,
    POLL_EVERY,
    POLL_WINDOW,
    REPORT_RANK,
    SMS_RANK,
    TRACE_RANK,
    _testing,
)


# sms.sms split by concern (one file would cross 800 lines)
# pylint: disable=consider-merging-classes-inherited
class SmsSms(models.Model):
    _inherit = "sms.sms"

    # ------------------------------------------------------------------
    # Delivery reports
    # ------------------------------------------------------------------

    @api.model
    def _optical_apply_reports(self, provider, reports):
        """Apply delivery reports, idempotent and in any order.

        ``reports``: ``(key, value, Report)`` with key ``uuid`` (our reference),
        ``ref`` (the provider's) or ``id``. A report only moves a message forward
        (queued < sent < delivered or failed); unknown messages are ignored.
        Returns the number of reports applied.
        """
        sms_model = self.sudo()
        by_key = {"uuid": set(), "ref": set(), "id": set()}
        for key, value, _report in reports:
            by_key[key].add(value)
        domain = [("id", "in", list(by_key["id"]))]
        if by_key["uuid"]:
            domain = ["|", ("uuid", "in", list(by_key["uuid"]))] + domain
        if by_key["ref"]:
            domain = [
                "|",
                "&",
                ("optical_provider_id", "=", provider.id),
                ("optical_provider_ref", "in", list(by_key["ref"])),
            ] + domain
        found = sms_model.with_context(active_test=False).search(domain)
        index = {}
        for sms in found:
            index[("id", sms.id)] = sms
            index[("uuid", sms.uuid)] = sms
            if sms.optical_provider_ref:
                index[("ref", sms.optical_provider_ref)] = sms
        uuids = {sms.uuid for sms in found} | by_key["uuid"]
        trackers = (
            self.env["sms.tracker"].sudo().search([("sms_uuid", "in", list(uuids))])
        )
        trackers_by_uuid = {tracker.sms_uuid: tracker for tracker in trackers}
        now = fields.Datetime.now()
        done = {}
        for key, value, report in reports:
            sms = index.get((key, value), sms_model)
            if sms and sms.optical_provider_id and sms.optical_provider_id != provider:
                continue  # a report of another provider never touches this message
            uuid = sms.uuid if sms else (value if key == "uuid" else False)
            tracker = trackers_by_uuid.get(uuid)
            if not sms and not tracker:
                continue
            current = done.get(uuid)
            if current is None:
                current = (
                    SMS_RANK[sms.state] if sms else self._optical_tracker_rank(tracker)
                )
            if REPORT_RANK[report.state] <= current:
                continue
            done[uuid] = REPORT_RANK[report.state]
            self._optical_apply_report(sms, tracker, report, now)
        if done:
            found.exists().mail_message_id._notify_message_notification_update()
        return len(done)

    @api.model
    def _optical_tracker_rank(self, tracker):
        ranks = [
            TRACE_RANK.get(trace.trace_status, 0) for trace in tracker.mailing_trace_id
        ]
        ranks += [
            NOTIFICATION_RANK.get(notification.notification_status, 0)
            for notification in tracker.mail_notification_id
        ]
        return max(ranks or [0])

    @api.model
    def _optical_apply_report(self, sms, tracker, report, now):
        tracker = (tracker or self.env["sms.tracker"]).with_context(
            sms_skip_msg_notification=True
        )
        if report.state in ("pending", "delivered"):
            # accepted (Odoo's "pending", Sent) or delivered (Odoo's "sent")
            state = "pending" if report.state == "pending" else "sent"
            if sms:
                values = {
                    "state": state,
                    "failure_type": False,
                    "optical_next_try_at": False,
                    "optical_sent_at": sms.optical_sent_at or now,
                }
                if state == "pending":
                    values["optical_provider_ref"] = (
                        sms.optical_provider_ref or report.ref
                    )
                else:
                    values["to_delete"] = True
                sms.write(values)
            tracker._action_update_from_sms_state(state)
        else:
            failure = report.failure or "not_delivered"
            if sms:
                sms.write(
                    {
                        "state": "error",
                        "failure_type": f"sms_{failure}",
                        "optical_failure_reason": report.detail or False,
                        "optical_next_try_at": False,
                        "to_delete": True,
                    }
                )
            tracker._action_update_from_provider_error(failure)

    @api.model
    def _optical_cron_poll(self, limit=500):
        """Fallback for lost delivery reports: ask the providers, in bounded batches.

        Also checks messages left in flight. Messages accepted more than three days
        ago without a final report stay "Sent" and are no longer asked about.
        """
        auto_commit = not _testing()
        records = self.with_context(optical_sms_commit=auto_commit)
        records._optical_recover_in_flight()
        now = fields.Datetime.now()
        self.env.flush_all()
        rows = self._optical_locked_rows(
            SQL(
                """
                SELECT id FROM sms_sms
                 WHERE state = 'pending' AND optical_provider_id IS NOT NULL
                   AND to_delete IS NOT TRUE
                   AND optical_sent_at <= %s AND optical_sent_at >= %s
                   AND (optical_polled_at IS NULL OR optical_polled_at <= %s)
                 ORDER BY optical_polled_at NULLS FIRST, id LIMIT %s
                   FOR NO KEY UPDATE SKIP LOCKED
                """,
                now - POLL_AFTER,
                now - POLL_WINDOW,
                now - POLL_EVERY,
                limit,
            )
        )
        ids = [row[0] for row in rows]
        applied = 0
        for provider, batch in (
            self.sudo().browse(ids).grouped("optical_provider_id").items()
        ):
            items = [
                {"id": sms.id, "ref": sms.optical_provider_ref or sms.uuid}
                for sms in batch
            ]
            reports = provider._optical_call_status(items)
            batch._optical_update(
                "UPDATE sms_sms SET optical_polled_at = %s WHERE id IN %s RETURNING id",
                now,
                tuple(batch.ids),
            )
            applied += self._optical_apply_reports(
                provider,
                [
                    ("id", sms_id, report)
                    for sms_id, report in reports.items()
                    if report.found
                ],
            )
        self._optical_update(
            """
            UPDATE sms_sms SET to_delete = TRUE
             WHERE state = 'pending' AND optical_provider_id IS NOT NULL
               AND optical_sent_at < %s AND to_delete IS NOT TRUE
         RETURNING id
            """,
            now - POLL_WINDOW,
        )
        if auto_commit:
            self.env.cr.commit()  # pylint: disable=invalid-commit
            if len(ids) >= limit:
                self.env.ref("optical_crm_sms.ir_cron_sms_report_poll")._trigger()
        return applied
