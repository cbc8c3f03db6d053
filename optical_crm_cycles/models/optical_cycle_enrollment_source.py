"""Enrollments follow their source document (split by concern from
``optical_cycle_enrollment.py``).

An enrollment belongs to one customer for one document. When the document is
corrected (an invoice or receipt reset to draft, given to another customer or
other lines and posted again; a purchase from another system changed in place;
an eye exam moved to another customer or another date; a prescription whose
customer or expiry changes) what was planned for the old
version stops with ``customer_changed`` or ``document_changed``, and the
document enrolls again as it is now: a new enrollment for the new customer, or
the same one revived from the new date. Messages already sent stay recorded as
sent to whom they went."""

from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import SQL

from .optical_cycle_enrollment import RESET_REASONS
from .optical_cycle_execution import ENROLLMENT_DOCUMENT_SQL


class OpticalCycleEnrollment(models.Model):
    _inherit = "optical.cycle.enrollment"

    # ------------------------------------------------------------------ sales
    # Every sale reaches the cycles through the sales ledger (optical.sale.line):
    # invoices, sales receipts, point-of-sale orders, purchases from other
    # systems and the import, one path for all (see models/optical_sale_line.py).
    @api.model
    def _optical_on_sales_recorded(self, lines):
        """Sales-ledger lines recorded: a sale of any kind but the import
        enrolls the customer in the shop's sale cycles; a document recorded
        again takes its enrollments along (another customer, lines that no
        longer match); buying again stops the steps it ends; a refund, those
        of the sale it refunds (when wholly refunded)."""
        shops = self.env["optical.cycle"]._optical_shop_ids_with_cycles()
        if not shops & set(lines.company_id.ids):
            return
        sales = lines.filtered(lambda line: not line.is_refund)
        new = self._optical_follow_sales(set(sales.mapped("document_key")))
        # the import is history: its exits are checked when the steps fall due
        live = lines.filtered(lambda line: line.kind != "import")
        bought = live.filtered(lambda line: not line.is_refund)
        if bought:
            self._optical_check_exits(
                self._optical_pending_ids(
                    SQL("en.partner_id = ANY(%s)", bought.partner_id.ids),
                    step_level=True,
                    exclude=new,
                )
            )
        refunds = live.filtered("is_refund")
        if refunds:
            self._optical_check_exits(
                self._optical_pending_ids(
                    self._optical_documents_condition(refunds.mapped("origin_key"))
                )
            )

    @api.model
    def _optical_on_sales_removed(self, rows):
        """Documents whose lines left the sales ledger (``(partner_id,
        company_id, document_key)``): reset to draft, cancelled, deleted. Their
        pending steps stop, with the reason in the context key
        ``optical_cycle_stop_reason`` (an invoice or receipt cancelled), else
        ``invoice_draft`` for an invoice or receipt and ``document_changed``
        for another document. A document that kept some lines changed: it is
        followed as when recorded."""
        keys = {row[2] for row in rows}
        still = {
            doc["document_key"]
            for doc in self.env["optical.cycle"]._optical_sale_documents(keys)
        }
        self._optical_on_sales_left(
            keys - still, self.env.context.get("optical_cycle_stop_reason")
        )
        if still:
            self._optical_follow_sales(still)

    @api.model
    def _optical_follow_sales(self, document_keys):
        """Enroll these sale documents as the ledger has them now (but the
        import, which only the backfill enrolls) and stop what they enrolled
        before that no longer fits. Returns the ids enrolled or revived."""
        if not document_keys:
            return []
        Cycle = self.env["optical.cycle"]
        documents = Cycle._optical_sale_documents(document_keys)
        enrollable = [doc for doc in documents if doc["kind"] != "import"]
        existing = self._optical_sale_enrollments(document_keys)
        if not (enrollable or existing):
            return []
        cycles = Cycle.search(
            [
                ("trigger", "=", "invoice_posted"),
                ("company_id", "in", list({doc["company_id"] for doc in documents})),
                ("step_ids", "!=", False),
            ]
        )
        candidates = cycles._optical_sale_candidates(documents)
        result = self._optical_enroll([c for c in candidates if c["kind"] != "import"])
        new = result["enrollments"]
        self._optical_supersede(
            [row for row in existing if row[1] in cycles.ids],
            documents,
            candidates,
            new + result["known"],
        )
        return new

    @api.model
    def _optical_documents_condition(self, document_keys):
        """SQL condition on ``en``: the enrollments of these sales-ledger
        documents (invoices and receipts by their move, the others by
        ``source_key``)."""
        move_ids, others = [], []
        for key in set(document_keys):
            model, _sep, res_id = key.partition(",")
            if model == "account.move" and res_id.isdigit():
                move_ids.append(int(res_id))
            else:
                others.append(key)
        return SQL(
            "(en.move_id = ANY(%s) OR en.source_key = ANY(%s))", move_ids, others
        )

    @api.model
    def _optical_sale_enrollments(self, document_keys):
        """Enrollments of these sale documents still in play (running, or
        stopped by a reset): ``(id, cycle_id, partner_id, document_key, state,
        move_id)`` rows."""
        self.flush_model()
        return self.env.execute_query(
            SQL(
                """
                SELECT en.id, en.cycle_id, en.partner_id, %s, en.state, en.move_id
                  FROM optical_cycle_enrollment en
                 WHERE %s AND (en.state = 'running' OR en.stop_reason = ANY(%s))
                """,
                SQL(ENROLLMENT_DOCUMENT_SQL),
                self._optical_documents_condition(document_keys),
                list(RESET_REASONS),
            )
        )

    @api.model
    def _optical_on_sales_left(self, document_keys, reason=None):
        """Sale documents no longer in the ledger: the pending steps of their
        enrollments stop with ``reason`` (by default ``invoice_draft`` for an
        invoice or receipt, ``document_changed`` for another sale). Steps
        cancelled by a reset before take the new reason (reset, then
        cancelled)."""
        if not document_keys:
            return
        by_reason = defaultdict(list)
        for enrollment_id, *_rest, move_id in self._optical_sale_enrollments(
            document_keys
        ):
            by_reason[
                reason or ("invoice_draft" if move_id else "document_changed")
            ].append(enrollment_id)
        if not by_reason:
            return
        Execution = self.env["optical.cycle.execution"]
        Execution.flush_model()
        now = fields.Datetime.now()
        for stop_reason, ids in by_reason.items():
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE optical_cycle_execution x
                       SET state = 'cancelled', reason = %(reason)s,
                           write_date = %(now)s, write_uid = %(uid)s
                     WHERE x.id IN (
                            SELECT id FROM optical_cycle_execution
                             WHERE enrollment_id = ANY(%(ids)s)
                               AND (state = 'scheduled'
                                    OR (state = 'cancelled'
                                        AND reason = ANY(%(void)s)))
                             FOR NO KEY UPDATE SKIP LOCKED)
                    """,
                    reason=stop_reason,
                    now=now,
                    uid=self.env.uid,
                    ids=ids,
                    void=list(RESET_REASONS),
                )
            )
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE optical_cycle_enrollment
                       SET state = 'stopped', stop_reason = %(reason)s,
                           stop_date = %(now)s, reentry_once = FALSE,
                           write_date = %(now)s, write_uid = %(uid)s
                     WHERE id = ANY(%(ids)s)
                       AND (state = 'running' OR stop_reason = ANY(%(void)s))
                    """,
                    reason=stop_reason,
                    now=now,
                    uid=self.env.uid,
                    ids=ids,
                    void=list(RESET_REASONS),
                )
            )
        Execution.invalidate_model()
        self.invalidate_model()

    @api.model
    def _optical_supersede(self, existing, documents, candidates, keep_ids):
        """Sale documents recorded again (posted after a reset, changed in
        place): their enrollments (``existing`` rows, see
        :meth:`_optical_sale_enrollments`) that the document as it is now does
        not enroll are superseded: ``customer_changed`` when the document is now
        another customer's, ``document_changed`` otherwise (its lines no longer
        match). A running enrollment stops only when the document no longer
        fits the cycle (a customer who left the segment keeps what was
        planned); one stopped by the reset, when the new posting did not take
        it back (``keep_ids``: enrolled, revived or already there)."""
        fits = {(c["cycle"].id, c["partner_id"], c["document_key"]) for c in candidates}
        customers = defaultdict(set)
        for doc in documents:
            customers[doc["document_key"]].add(doc["partner_id"])
        keep = set(keep_ids)
        stops, relabel = {}, defaultdict(list)
        for enrollment_id, cycle_id, partner_id, key, state, _move in existing:
            if enrollment_id in keep or key not in customers:
                continue
            if state == "running" and (cycle_id, partner_id, key) in fits:
                continue
            reason = (
                "document_changed"
                if partner_id in customers[key]
                else "customer_changed"
            )
            if state == "running":
                stops[enrollment_id] = reason
            else:
                relabel[reason].append(enrollment_id)
        if stops:
            self._optical_stop(stops)
        if not relabel:
            return
        self.flush_model()
        now = fields.Datetime.now()
        for reason, ids in relabel.items():
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE optical_cycle_enrollment
                       SET stop_reason = %s, stop_date = %s, write_date = %s,
                           write_uid = %s
                     WHERE id = ANY(%s) AND state = 'stopped'
                       AND stop_reason = ANY(%s)
                    """,
                    reason,
                    now,
                    now,
                    self.env.uid,
                    ids,
                    list(RESET_REASONS),
                )
            )
        self._optical_relabel_cancelled(
            [i for ids in relabel.values() for i in ids], now
        )
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
