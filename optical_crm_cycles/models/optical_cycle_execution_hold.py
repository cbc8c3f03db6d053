"""Service messages held back, never dropped (split by concern from
``optical_cycle_execution.py``).

The contact policy decides (``optical.contact.policy._optical_holds``): a
service message refused by the frequency cap or by a number shared with
another customer waits for its next allowed slot. After MAX_HOLDS waits it
ends ``failed`` with reason ``held_back``: counted in the step's results and
listed on the customer's cycle messages, for the shop to follow up."""

import datetime as dt

from odoo import fields, models
from odoo.tools import SQL

MAX_HOLDS = 5


class OpticalCycleExecution(models.Model):
    _inherit = "optical.cycle.execution"

    reason = fields.Selection(
        selection_add=[
            (
                "held_back",
                "Held back too many times (frequency cap or shared number)",
            )
        ],
        ondelete={"held_back": "set null"},
    )
    hold_count = fields.Integer(
        string="Held back",
        readonly=True,
        help="How many times this service message waited for the frequency cap "
        "or for a family member sharing its number or email.",
    )

    def _optical_hold_back(self, reason, company, now):
        """Postpone held service messages to their next allowed slot, or end
        the ones already held MAX_HOLDS times."""
        if not self:
            return
        exhausted = self.filtered(lambda x: x.hold_count >= MAX_HOLDS)
        exhausted._optical_close("failed", "held_back", failure_type=reason)
        waiting = self - exhausted
        if not waiting:
            return
        Policy = self.env["optical.contact.policy"]
        until = Policy._optical_hold_until(waiting.partner_id, reason, company, now)
        values = SQL(", ").join(
            SQL(
                "(%s, %s::timestamp)",
                execution.id,
                until.get(execution.partner_id.id) or now + dt.timedelta(days=1),
            )
            for execution in waiting
        )
        waiting.flush_recordset()
        self.env.cr.execute(
            SQL(
                """
                UPDATE optical_cycle_execution x
                   SET scheduled_at = v.until, defer_reason = %s,
                       defer_count = COALESCE(x.defer_count, 0) + 1,
                       hold_count = COALESCE(x.hold_count, 0) + 1,
                       write_date = %s, write_uid = %s
                  FROM (VALUES %s) AS v(id, until)
                 WHERE x.id = v.id AND x.state = 'scheduled'
                """,
                Policy._optical_holds("service", reason),
                fields.Datetime.now(),
                self.env.uid,
                values,
            )
        )
        waiting.invalidate_recordset()
