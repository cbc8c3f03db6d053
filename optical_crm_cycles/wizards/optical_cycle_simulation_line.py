from odoo import fields, models

from ..models.optical_cycle_execution import CHANNELS


class OpticalCycleSimulationLine(models.TransientModel):
    _name = "optical.cycle.simulation.line"
    _description = "Simulation: planned messages"
    _order = "datetime, id"
    _rec_name = "step_id"

    wizard_id = fields.Many2one(
        "optical.cycle.simulation", required=True, ondelete="cascade"
    )
    datetime = fields.Datetime(string="When", readonly=True)
    day = fields.Date(readonly=True)
    channel = fields.Selection(CHANNELS, readonly=True)
    cycle_id = fields.Many2one("optical.cycle", readonly=True)
    step_id = fields.Many2one("optical.cycle.step", readonly=True)
    count = fields.Integer(string="Messages", readonly=True, aggregator="sum")
    projected = fields.Boolean(
        readonly=True,
        help="Customers not enrolled yet whose date (contact lenses, prescription, "
        "birthday) will enroll them in the period.",
    )
    state = fields.Selection(
        [
            ("planned", "Planned"),
            ("scheduled", "Scheduled"),
            ("sent", "Sent"),
            ("skipped", "Skipped"),
            ("failed", "Failed"),
            ("cancelled", "Cancelled"),
        ],
        readonly=True,
    )
    reason = fields.Char(readonly=True)
