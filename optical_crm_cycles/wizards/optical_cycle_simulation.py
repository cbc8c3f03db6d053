import datetime as dt
from collections import Counter

import pytz

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..models.optical_cycle import DATE_TRIGGERS


class OpticalCycleSimulation(models.TransientModel):
    """What the cycles will send: messages per day and channel for the next weeks
    (scheduled ones, plus customers that date-based triggers will enroll), or one
    customer's timeline, past and planned."""

    _name = "optical.cycle.simulation"
    _description = "Cycle simulation"

    cycle_ids = fields.Many2many(
        "optical.cycle",
        string="Cycles",
        help="Empty: every active cycle of the current shop.",
    )
    weeks = fields.Integer(default=4, required=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        help="Show this customer's timeline instead of the calendar.",
    )
    line_ids = fields.One2many(
        "optical.cycle.simulation.line", "wizard_id", readonly=True
    )

    @api.constrains("weeks")
    def _check_weeks(self):
        for wizard in self:
            if not 1 <= wizard.weeks <= 104:
                raise ValidationError(self.env._("Simulate between 1 and 104 weeks."))

    def _optical_cycles(self):
        self.ensure_one()
        return self.cycle_ids or self.env["optical.cycle"].search(
            [("company_id", "=", self.env.company.id)]
        )

    def action_compute(self):
        self.ensure_one()
        self.line_ids.unlink()
        if self.partner_id:
            vals = self._optical_timeline_values()
            view = "list"
        else:
            vals = self._optical_calendar_values()
            view = "pivot"
        self.env["optical.cycle.simulation.line"].create(vals)
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "optical_crm_cycles.optical_cycle_simulation_line_action"
        )
        action["domain"] = [("wizard_id", "=", self.id)]
        if self.partner_id:
            action["name"] = self.env._(
                "Timeline of %(customer)s", customer=self.partner_id.name
            )
            action["context"] = {"optical_timeline": 1}
        views = dict((v, k) for k, v in action.get("views", []))
        action["views"] = [(views.get(view), view)] + [
            (vid, vtype) for vid, vtype in action.get("views", []) if vtype != view
        ]
        return action

    def _optical_calendar_values(self):
        """Planned messages per day (shop timezone), step and channel."""
        cycles = self._optical_cycles().sudo()
        now = fields.Datetime.now()
        horizon = now + dt.timedelta(weeks=self.weeks)
        self.env["optical.cycle.execution"].flush_model()
        vals = []
        for company in cycles.company_id:
            company_cycles = cycles.filtered(lambda c, co=company: c.company_id == co)
            tz = company_cycles[:1]._optical_tz()
            rows = self.env.execute_query(
                SQL(
                    """
                    SELECT (scheduled_at AT TIME ZONE 'UTC' AT TIME ZONE %s)::date,
                           channel, cycle_id, step_id, COUNT(*)
                      FROM optical_cycle_execution
                     WHERE state = 'scheduled' AND cycle_id = ANY(%s)
                       AND scheduled_at < %s
                     GROUP BY 1, 2, 3, 4
                    """,
                    tz.zone,
                    company_cycles.ids,
                    horizon,
                )
            )
            for day, channel, cycle_id, step_id, count in rows:
                vals.append(
                    self._optical_day_vals(day, channel, cycle_id, step_id, count)
                )
            vals += self._optical_projected_values(
                company_cycles.filtered(lambda c: c.trigger in DATE_TRIGGERS),
                tz,
                now,
                horizon,
            )
        return vals

    def _optical_day_vals(
        self, day, channel, cycle_id, step_id, count, projected=False
    ):
        return {
            "wizard_id": self.id,
            "day": day,
            "datetime": dt.datetime.combine(day, dt.time(12)),
            "channel": channel,
            "cycle_id": cycle_id,
            "step_id": step_id,
            "count": count,
            "projected": projected,
            "state": "planned" if projected else "scheduled",
        }

    def _optical_projected_values(self, cycles, tz, now, horizon):
        """Date-based triggers: who will be enrolled in the period (dry run)."""
        Enrollment = self.env["optical.cycle.enrollment"].sudo()
        today = pytz.utc.localize(now).astimezone(tz).date()
        last_day = pytz.utc.localize(horizon).astimezone(tz).date()
        counter = Counter()
        channels = {}
        for cycle in cycles:
            candidates = cycle._optical_date_candidates(today, last_day)
            plan = Enrollment._optical_enroll(candidates, now=now, dry_run=True)["plan"]
            for cycle_id, step_id, _planned, scheduled, state, _reason in plan:
                if state != "scheduled" or scheduled >= horizon:
                    continue
                day = pytz.utc.localize(scheduled).astimezone(tz).date()
                counter[(day, cycle_id, step_id)] += 1
            channels.update({step.id: step.channel for step in cycle.step_ids})
        return [
            self._optical_day_vals(
                day, channels[step_id], cycle_id, step_id, count, projected=True
            )
            for (day, cycle_id, step_id), count in sorted(counter.items())
        ]

    def _optical_timeline_values(self):
        """One customer's messages, past and planned, in the chosen cycles."""
        cycles = self._optical_cycles()
        executions = (
            self.env["optical.cycle.execution"]
            .search(
                [
                    ("partner_id", "=", self.partner_id.id),
                    ("cycle_id", "in", cycles.ids),
                ]
            )
            .sorted(lambda x: (x.scheduled_at, x.id))
        )
        labels = dict(executions._fields["reason"]._description_selection(self.env))
        vals = [
            {
                "wizard_id": self.id,
                "datetime": execution.sent_at or execution.scheduled_at,
                "day": (execution.sent_at or execution.scheduled_at).date(),
                "channel": execution.channel,
                "cycle_id": execution.cycle_id.id,
                "step_id": execution.step_id.id,
                "count": 1,
                "state": execution.state,
                "reason": labels.get(execution.reason, ""),
            }
            for execution in executions
        ]
        # what date-based triggers will start for this customer in the period
        now = fields.Datetime.now()
        horizon = now + dt.timedelta(weeks=self.weeks)
        Enrollment = self.env["optical.cycle.enrollment"].sudo()
        for cycle in cycles.sudo().filtered(lambda c: c.trigger in DATE_TRIGGERS):
            tz = cycle._optical_tz()
            candidates = [
                candidate
                for candidate in cycle._optical_date_candidates(
                    pytz.utc.localize(now).astimezone(tz).date(),
                    pytz.utc.localize(horizon).astimezone(tz).date(),
                )
                if candidate["partner_id"] == self.partner_id.id
            ]
            plan = Enrollment._optical_enroll(candidates, now=now, dry_run=True)["plan"]
            steps = {step.id: step for step in cycle.step_ids}
            for cycle_id, step_id, _planned, scheduled, state, _reason in plan:
                if state == "scheduled" and scheduled < horizon:
                    vals.append(
                        {
                            "wizard_id": self.id,
                            "datetime": scheduled,
                            "day": scheduled.date(),
                            "channel": steps[step_id].channel,
                            "cycle_id": cycle_id,
                            "step_id": step_id,
                            "count": 1,
                            "projected": True,
                            "state": "planned",
                        }
                    )
        return sorted(vals, key=lambda v: v["datetime"])
