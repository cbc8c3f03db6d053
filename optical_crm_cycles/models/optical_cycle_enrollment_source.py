"""Enrollments follow their source document (split by concern from
``optical_cycle_enrollment.py``).

An enrollment belongs to one customer for one document. When the document is
corrected (an invoice reset to draft, given to another customer or other lines
and posted again; an eye exam moved to another customer or another date; a
prescription whose customer or expiry changes) what was planned for the old
version stops with ``customer_changed`` or ``document_changed``, and the
document enrolls again as it is now: a new enrollment for the new customer, or
the same one revived from the new date. Messages already sent stay recorded as
sent to whom they went."""

from odoo import api, fields, models
from odoo.tools import SQL

from .optical_cycle_enrollment import RESET_REASONS


class OpticalCycleEnrollment(models.Model):
    _inherit = "optical.cycle.enrollment"

    @api.model
    def _optical_supersede(self, moves, cycles, keep_ids):
        """Invoices posted again after a reset: their enrollments still stopped by
        the reset in ``cycles`` that the new posting did not take back
        (``keep_ids``) are superseded: ``customer_changed`` when the invoice is
        now another customer's, ``document_changed`` otherwise (its lines no
        longer match, the customer left the segment...)."""
        if not moves or not cycles:
            return
        self.flush_model()
        self.env["account.move"].flush_model(["partner_id"])
        now = fields.Datetime.now()
        rows = self.env.execute_query(
            SQL(
                """
                UPDATE optical_cycle_enrollment en
                   SET stop_reason = CASE WHEN en.partner_id = mv.partner_id
                                          THEN 'document_changed'
                                          ELSE 'customer_changed' END,
                       stop_date = %(now)s, write_date = %(now)s,
                       write_uid = %(uid)s
                  FROM account_move mv
                 WHERE mv.id = en.move_id AND en.move_id = ANY(%(moves)s)
                   AND en.cycle_id = ANY(%(cycles)s) AND en.state = 'stopped'
                   AND en.stop_reason = ANY(%(reset)s)
                   AND en.id != ALL(%(keep)s)
                RETURNING en.id
                """,
                now=now,
                uid=self.env.uid,
                moves=moves.ids,
                cycles=cycles.ids,
                reset=list(RESET_REASONS),
                keep=[i for i in keep_ids if i] or [0],
            )
        )
        if rows:
            self._optical_relabel_cancelled([row[0] for row in rows], now)
        self.invalidate_model()

    @api.model
    def _optical_relabel_cancelled(self, enrollment_ids, now):
        """Steps cancelled by the reset now carry the enrollment's final reason."""
        self.env["optical.cycle.execution"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                UPDATE optical_cycle_execution x
                   SET reason = en.stop_reason, write_date = %s, write_uid = %s
                  FROM optical_cycle_enrollment en
                 WHERE en.id = x.enrollment_id AND en.id = ANY(%s)
                   AND x.state = 'cancelled' AND x.reason = ANY(%s)
                """,
                now,
                self.env.uid,
                enrollment_ids,
                list(RESET_REASONS),
            )
        )
        self.env["optical.cycle.execution"].invalidate_model()

    @api.model
    def _optical_follow_sources(self, records, deleted=False):
        """Exams or prescriptions changed (customer, date) or about to be
        ``deleted``: their running enrollments that no longer fit stop with
        ``customer_changed`` or ``document_changed`` (pending steps cancelled,
        sent ones untouched). Exams enroll again right after (see
        ``_optical_on_exams_done``); prescriptions through the nightly trigger."""
        if not records:
            return
        refs = [f"{record._name},{record.id}" for record in records]
        enrollments = self.search(
            [("source_ref", "in", refs), ("state", "=", "running")]
        )
        stops = {}
        for enrollment in enrollments:
            source = enrollment.source_ref.sudo()
            if deleted:
                stops[enrollment.id] = "document_changed"
            elif source.partner_id != enrollment.partner_id:
                stops[enrollment.id] = "customer_changed"
            elif not enrollment._optical_source_fits(source):
                stops[enrollment.id] = "document_changed"
        if stops:
            self._optical_stop(stops)

    def _optical_source_fits(self, source):
        """Whether the enrollment's trigger is still the source document's."""
        self.ensure_one()
        if source._name == "optical.exam":
            return self.trigger_date == source.date
        if source._name == "optical.prescription" and self.source_key:
            expiry = source.expiry_date
            return bool(expiry) and self.source_key.endswith(expiry.isoformat())
        return True
