from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, split_every

CHUNK = 1000


class OpticalCycleBackfill(models.TransientModel):
    """Enroll past sales (or exams) in a cycle, dry run first: a shop starting
    today sees how many messages would go at once before flooding old customers
    (steps past by more than the cycle's tolerance are skipped as late).

    Sales are read in the sales ledger, every kind: invoices, receipts, point of
    sale, other systems and the imported history, which only this wizard
    enrolls; for purchases that other systems recorded (import, API) a step on
    a day already past is always skipped as late."""

    _name = "optical.cycle.backfill"
    _description = "Enroll past documents in a cycle"

    cycle_id = fields.Many2one(
        "optical.cycle",
        required=True,
        domain=[("trigger", "in", ("invoice_posted", "exam_done"))],
    )
    trigger = fields.Selection(related="cycle_id.trigger")
    date_from = fields.Date(string="From", required=True)
    date_to = fields.Date(string="To", required=True, default=fields.Date.context_today)
    state = fields.Selection(
        [("draft", "Choose"), ("simulated", "Dry run"), ("done", "Enrolled")],
        default="draft",
    )
    document_count = fields.Integer(string="Matching documents", readonly=True)
    enroll_count = fields.Integer(string="New enrollments", readonly=True)
    existing_count = fields.Integer(string="Already enrolled", readonly=True)
    reentry_count = fields.Integer(
        string="Excluded by the re-entry policy", readonly=True
    )
    due_now_count = fields.Integer(string="Messages at once", readonly=True)
    scheduled_count = fields.Integer(string="Messages later", readonly=True)
    late_count = fields.Integer(string="Messages skipped (late)", readonly=True)
    line_ids = fields.One2many(
        "optical.cycle.backfill.line", "wizard_id", string="Per step", readonly=True
    )

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for wizard in self:
            if wizard.date_from > wizard.date_to:
                raise ValidationError(
                    self.env._("The start date must be before the end date.")
                )

    def _optical_documents(self):
        """Sale documents (sales-ledger keys, refunds left out) or exams of the
        cycle's shop in the period, in chronological order."""
        self.ensure_one()
        cycle = self.cycle_id
        if cycle.trigger == "invoice_posted":
            self.env["optical.sale.line"].flush_model()
            query = SQL(
                """
                SELECT document_key FROM optical_sale_line
                 WHERE company_id = %s AND NOT is_refund
                   AND date BETWEEN %s AND %s
                 GROUP BY document_key
                 ORDER BY MIN(date), MIN(id)
                """,
                cycle.company_id.id,
                self.date_from,
                self.date_to,
            )
            model = "optical.sale.line"
        elif cycle.trigger == "exam_done":
            self.env["optical.exam"].flush_model()
            state = (
                SQL("AND state = 'done'")
                if "state" in self.env["optical.exam"]._fields
                else SQL()
            )
            query = SQL(
                """
                SELECT id FROM optical_exam
                 WHERE company_id = %s AND date BETWEEN %s AND %s %s
                 ORDER BY date, id
                """,
                cycle.company_id.id,
                self.date_from,
                self.date_to,
                state,
            )
            model = "optical.exam"
        else:
            raise UserError(
                self.env._(
                    "Only sale and eye-exam cycles can enroll past documents: "
                    "date-based cycles enroll customers every day by themselves."
                )
            )
        return model, [row[0] for row in self.env.execute_query(query)]

    def _optical_candidates(self, model, ids):
        cycle = self.cycle_id.sudo()
        if model == "optical.sale.line":
            return cycle._optical_sale_candidates(cycle._optical_sale_documents(ids))
        return cycle._optical_exam_candidates(self.env[model].sudo().browse(ids))

    def _optical_run(self, dry_run):
        self.ensure_one()
        if not self.cycle_id.step_ids:
            raise UserError(self.env._("The cycle has no steps yet."))
        Enrollment = self.env["optical.cycle.enrollment"].sudo()
        model, ids = self._optical_documents()
        now = fields.Datetime.now()
        totals = defaultdict(int)
        per_step = defaultdict(lambda: defaultdict(int))
        chunks = [ids] if dry_run else split_every(CHUNK, ids)
        for chunk in chunks:
            result = Enrollment._optical_enroll(
                self._optical_candidates(model, list(chunk)), now=now, dry_run=dry_run
            )
            totals["enroll"] += len(result["enrollments"])
            totals["existing"] += result["existing"]
            totals["reentry"] += result["reentry"]
            for _cycle_id, step_id, planned, _scheduled, state, _reason in result[
                "plan"
            ]:
                if state == "skipped":
                    key = "late"
                elif planned <= now:
                    key = "due_now"
                else:
                    key = "scheduled"
                per_step[step_id][key] += 1
                totals[key] += 1
        self.write(
            {
                "state": "simulated" if dry_run else "done",
                "document_count": len(ids),
                "enroll_count": totals["enroll"],
                "existing_count": totals["existing"],
                "reentry_count": totals["reentry"],
                "due_now_count": totals["due_now"],
                "scheduled_count": totals["scheduled"],
                "late_count": totals["late"],
                "line_ids": [fields.Command.clear()]
                + [
                    fields.Command.create(
                        {
                            "step_id": step.id,
                            "due_now_count": per_step[step.id]["due_now"],
                            "scheduled_count": per_step[step.id]["scheduled"],
                            "late_count": per_step[step.id]["late"],
                        }
                    )
                    for step in self.cycle_id.step_ids
                ],
            }
        )
        return self._optical_reopen()

    def action_dry_run(self):
        return self._optical_run(dry_run=True)

    def action_enroll(self):
        if not self.env.user.has_group("optical_crm.group_optical_manager"):
            raise UserError(self.env._("Only managers can enroll past documents."))
        if self.state != "simulated":
            raise UserError(self.env._("Run the dry run first."))
        return self._optical_run(dry_run=False)

    def _optical_reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }
