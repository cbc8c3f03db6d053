"""sms.sms, shops on Odoo IAP: marked in flight before the call, as with our
providers, and never sent again when the answer is lost.

Per batch: lock the queued rows (``FOR NO KEY UPDATE SKIP LOCKED``), mark them
in flight (state ``process``, time, attempt), commit when the caller commits per
batch, call Odoo IAP (``super()._send``), then reconcile: an answer is written by
Odoo as usual; no answer because the request certainly never left (connection
refused, connect timeout) fails as Odoo does (``sms_server``, retried by whoever
retries confirmed failures); any other error (read timeout, reset, 5xx,
unreadable answer) leaves the messages in flight. IAP has no lookup: a message
left in flight (that error, or a crash) waits for IAP's delivery report, and
after a day without one fails as "outcome unknown, not retried". It is never
queued again.
"""

import logging
import urllib.error

import requests
import urllib3

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .sms_sms import GIVE_UP_UNKNOWN, OUTCOME_UNKNOWN

_logger = logging.getLogger(__name__)


def _iap_error_kind(exc):
    """``not_sent`` (the request certainly did not reach IAP), ``uncertain`` (it
    may have) or ``refused`` (IAP answered with an error)."""
    chain, error = [], exc
    while error is not None and len(chain) < 10:
        chain.append(error)
        error = error.__cause__ or error.__context__
    network = False
    for error in chain:
        if isinstance(
            error, requests.exceptions.ConnectTimeout | ConnectionRefusedError
        ):
            return "not_sent"
        if isinstance(error, requests.exceptions.ConnectionError) and (
            "NewConnectionError" in repr(error.args)
        ):
            return "not_sent"
        if isinstance(error, urllib.error.URLError) and isinstance(
            getattr(error, "reason", None), ConnectionRefusedError
        ):
            return "not_sent"
        if isinstance(error, requests.exceptions.HTTPError) and (
            error.response is not None and error.response.status_code < 500
        ):
            return "refused"
        if isinstance(error, urllib.error.HTTPError) and error.code < 500:
            return "refused"
        if isinstance(
            error,
            requests.exceptions.RequestException
            | urllib3.exceptions.HTTPError
            | OSError
            | ValueError,
        ):
            network = True
    return "uncertain" if network else "refused"


# sms.sms split by concern (one file would cross 800 lines)
# pylint: disable=consider-merging-classes-inherited
class SmsSms(models.Model):
    _inherit = "sms.sms"

    def _send(self, unlink_failed=False, unlink_sent=True, raise_exception=False):
        """Each batch to its company's provider, the rest to Odoo IAP, every
        message marked in flight before the call."""
        groups = self._optical_split()
        iap = groups.pop(False, None)
        res = None
        if iap:
            res = iap._optical_send_iap(
                unlink_failed=unlink_failed,
                unlink_sent=unlink_sent,
                raise_exception=raise_exception,
            )
        for provider, sms in groups.items():
            sms._optical_send(provider, unlink_failed=unlink_failed)
        return res

    def _optical_send_iap(self, unlink_failed=False, unlink_sent=True, **kw):
        """Send this batch through Odoo IAP (see the module docstring)."""
        now = fields.Datetime.now()
        self.env.flush_all()
        rows = self._optical_locked_rows(
            SQL(
                """
                SELECT id FROM sms_sms
                 WHERE id IN %s AND state = 'outgoing' AND to_delete IS NOT TRUE
                 ORDER BY id
                   FOR NO KEY UPDATE SKIP LOCKED
                """,
                tuple(self.ids),
            )
        )
        ids = self._optical_update(
            """
            UPDATE sms_sms
               SET state = 'process', optical_provider_id = NULL,
                   optical_provider_ref = NULL, optical_in_flight_since = %s,
                   optical_next_try_at = NULL, optical_sent_at = NULL,
                   optical_attempt_count = COALESCE(optical_attempt_count, 0) + 1
             WHERE id = ANY(%s) AND state = 'outgoing'
         RETURNING id
            """,
            now,
            [row[0] for row in rows],
        )
        if not ids:
            return None
        if self._optical_autocommit():
            # the mark survives a crash; the rows are not held during the call
            # (nothing else acts on them before a day), so reports never wait
            self.env.cr.commit()  # pylint: disable=invalid-commit
        batch = self.browse(ids)
        try:
            # Odoo's IAP sending (this class defines the routing ``_send``)
            res = super(SmsSms, batch)._send(
                unlink_failed=unlink_failed,
                unlink_sent=unlink_sent,
                raise_exception=True,
            )
        except Exception as exc:
            if kw.get("raise_exception"):
                raise
            batch._optical_iap_unanswered(exc, unlink_failed)
            return None
        # answered: Odoo wrote each message's state; one it left "process" (IAP's
        # "processing", or missing from the answer) waits for IAP's report
        return res

    def _optical_iap_unanswered(self, exc, unlink_failed):
        kind = _iap_error_kind(exc)
        detail = f"Odoo IAP: {type(exc).__name__}: {exc}"[:250]
        _logger.info(
            "Sending %s SMS through Odoo IAP: %s (%s)", len(self), detail, kind
        )
        if kind == "uncertain":
            self._optical_update(
                "UPDATE sms_sms SET optical_failure_reason = %s "
                "WHERE id = ANY(%s) AND state = 'process' RETURNING id",
                f"no answer, waiting for a delivery report: {detail}"[:250],
                self.ids,
            )
            return
        self._optical_set_failed(
            {sms.id: ("sms_server", detail) for sms in self},
            unlink_failed,
            from_states=("process",),
        )
        self.exists().mail_message_id._notify_message_notification_update()

    @api.model
    def _optical_give_up_iap(self, now, limit=500):
        """IAP messages in flight for a day, no answer, no delivery report."""
        rows = self._optical_locked_rows(
            SQL(
                """
                SELECT id FROM sms_sms
                 WHERE state = 'process' AND optical_provider_id IS NULL
                   AND optical_in_flight_since <= %s AND optical_sent_at IS NULL
                   AND to_delete IS NOT TRUE
                 ORDER BY id LIMIT %s
                   FOR NO KEY UPDATE SKIP LOCKED
                """,
                now - GIVE_UP_UNKNOWN,
                limit,
            )
        )
        failed = {
            row[0]: (
                OUTCOME_UNKNOWN,
                "outcome unknown, not retried: no final answer from Odoo IAP "
                "and no delivery report",
            )
            for row in rows
        }
        return self.sudo()._optical_set_failed(failed, from_states=("process",)).ids

    # ------------------------------------------------------------------
    # Buttons that send again
    # ------------------------------------------------------------------

    def _optical_not_resendable(self):
        """Messages that may have reached the customer: in flight, or failed
        without the provider confirming it."""
        return self.filtered(
            lambda sms: sms.failure_type == OUTCOME_UNKNOWN
            or (sms.state == "process" and sms.optical_in_flight_since)
        )

    def _optical_check_resend(self):
        blocked = self._optical_not_resendable()
        if blocked and blocked == self:
            raise UserError(
                self.env._(
                    "These SMS may already have reached the customer (the provider "
                    "never confirmed the outcome): they are not sent again."
                )
            )
        return self - blocked

    def resend_failed(self):
        return super(SmsSms, self._optical_check_resend()).resend_failed()

    def action_set_outgoing(self):
        return super(SmsSms, self._optical_check_resend()).action_set_outgoing()
