import psycopg2.extensions

from odoo import models


class SmsTracker(models.Model):
    _inherit = "sms.tracker"

    def _update_sms_mailings(self, trace_status, traces):
        """Mark the mailings "sending" or "sent" without risking the batch.

        Several workers send the SMS of one mailing at the same time (a cycle
        step's mailing carries every customer's message): both would write the
        mailing's row, and the second one's commit would fail with a
        serialization error, losing the outcome of the batch it had just sent
        (left in flight until the provider is asked). When committing per batch,
        the mailing is written in a savepoint; on a concurrent update it is left
        to the worker that wrote it (or to the next batch).
        """
        if not self.env.context.get("optical_sms_commit"):
            return super()._update_sms_mailings(trace_status, traces)
        self.env.flush_all()  # only the mailing's write is in the savepoint
        try:
            with self.env.cr.savepoint():
                return super()._update_sms_mailings(trace_status, traces)
        except psycopg2.extensions.TransactionRollbackError:
            return None
