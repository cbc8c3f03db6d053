"""Inbox of delivery reports: the report routes only store them and answer at
once, whatever is sending (a sending batch keeps its messages locked while it
calls the provider); a short scheduled action applies them."""

import logging
from datetime import timedelta

import psycopg2.extensions

from odoo import api, fields, models
from odoo.tools import SQL

from ..tools.providers import Report
from .sms_sms import _testing

_logger = logging.getLogger(__name__)

INBOX_BATCH = 500
RETRY_LOCKED = timedelta(seconds=30)


class OpticalSmsReport(models.Model):
    _name = "optical.sms.report"
    _description = "SMS delivery report received"
    _order = "id"

    provider_id = fields.Many2one(
        "optical.sms.provider", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(
        related="provider_id.company_id", store=True, index=True
    )
    key = fields.Selection(
        [("uuid", "Our reference"), ("ref", "Provider reference")], required=True
    )
    value = fields.Char(required=True)
    state = fields.Selection(
        [("pending", "Sent"), ("delivered", "Delivered"), ("failed", "Failed")],
        required=True,
    )
    ref = fields.Char(string="Provider reference")
    failure = fields.Char()
    detail = fields.Char()
    attempts = fields.Integer(help="Runs that found the message locked.")

    @api.model
    def _optical_receive(self, provider, key, value, report):
        """Store a report (``Report``) of ``provider`` and wake the action."""
        self.sudo().create(
            {
                "provider_id": provider.id,
                "key": key,
                "value": value,
                "state": report.state,
                "ref": report.ref or False,
                "failure": report.failure or False,
                "detail": (report.detail or "")[:200] or False,
            }
        )
        self.env.ref("optical_crm_sms.ir_cron_sms_report_inbox").sudo()._trigger()

    @api.model
    def _optical_cron_apply(self, limit=INBOX_BATCH):
        """Apply the stored reports, oldest first, in bounded batches.

        Idempotent and in any order (a report only moves a message forward). A
        report whose message is locked (a batch sending) stays for a later run.
        Returns the number of reports applied.
        """
        auto_commit = not _testing()
        Sms = self.env["sms.sms"].sudo()
        self.env.flush_all()
        rows = Sms._optical_locked_rows(
            SQL(
                "SELECT id FROM optical_sms_report ORDER BY id LIMIT %s "
                "FOR UPDATE SKIP LOCKED",
                limit,
            )
        )
        inbox = self.sudo().browse([row[0] for row in rows])
        applied, left = 0, self.browse()
        for provider, reports in inbox.grouped("provider_id").items():
            ready, busy = reports._optical_split_locked(provider)
            left |= busy
            if not ready:
                continue
            try:
                with self.env.cr.savepoint():
                    applied += Sms._optical_apply_reports(
                        provider, [report._optical_report() for report in ready]
                    )
            except psycopg2.extensions.TransactionRollbackError:
                self.env.invalidate_all()
                left |= ready  # a concurrent update: the next run
                continue
            ready.unlink()
        if left:
            self.env.cr.execute(
                SQL(
                    "UPDATE optical_sms_report SET attempts = attempts + 1 "
                    "WHERE id = ANY(%s)",
                    left.ids,
                )
            )
        if auto_commit:
            self.env.cr.commit()  # pylint: disable=invalid-commit
        cron = self.env.ref("optical_crm_sms.ir_cron_sms_report_inbox").sudo()
        if len(rows) >= limit:
            cron._trigger()
        elif left:
            cron._trigger(at=fields.Datetime.now() + RETRY_LOCKED)
        return applied

    def _optical_report(self):
        self.ensure_one()
        return (
            self.key,
            self.value,
            Report(
                True,
                self.ref or False,
                self.state,
                self.failure or False,
                self.detail or "",
            ),
        )

    def _optical_split_locked(self, provider):
        """``(ready, busy)``: busy reports concern a message another transaction
        holds (locked, not waited for)."""
        uuids = [r.value for r in self if r.key == "uuid"]
        refs = [r.value for r in self if r.key == "ref"]
        found = self.env.execute_query(
            SQL(
                """
                SELECT id, uuid, optical_provider_ref FROM sms_sms
                 WHERE uuid = ANY(%s)
                    OR (optical_provider_id = %s AND optical_provider_ref = ANY(%s))
                """,
                uuids,
                provider.id,
                refs,
            )
        )
        if not found:
            return self, self.browse()
        Sms = self.env["sms.sms"]
        locked = {
            row[0]
            for row in Sms._optical_locked_rows(
                SQL(
                    "SELECT id FROM sms_sms WHERE id = ANY(%s) "
                    "FOR NO KEY UPDATE SKIP LOCKED",
                    [row[0] for row in found],
                )
            )
        }
        busy_keys = set()
        for sms_id, uuid, ref in found:
            if sms_id not in locked:
                busy_keys |= {("uuid", uuid), ("ref", ref)}
        busy = self.filtered(lambda r: (r.key, r.value) in busy_keys)
        return self - busy, busy
