from odoo import fields, models


class OpticalCycleBackfillLine(models.TransientModel):
    _name = "optical.cycle.backfill.line"
    _description = "Backfill: messages per step"
    _order = "sequence, id"

    wizard_id = fields.Many2one(
        "optical.cycle.backfill", required=True, ondelete="cascade"
    )
    step_id = fields.Many2one("optical.cycle.step", readonly=True)
    sequence = fields.Integer(related="step_id.sequence")
    delay_label = fields.Char(related="step_id.delay_label", string="When")
    channel = fields.Selection(related="step_id.channel")
    due_now_count = fields.Integer(string="Would go out at once", readonly=True)
    scheduled_count = fields.Integer(string="Scheduled later", readonly=True)
    late_count = fields.Integer(string="Skipped (late)", readonly=True)
