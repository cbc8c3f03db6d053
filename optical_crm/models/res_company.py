from odoo import api, fields, models
from odoo.exceptions import ValidationError

# Default send window: Monday-Friday 9:00-20:00, Saturday 10:00-19:00, never Sunday.
DEFAULT_SEND_WINDOW = [(str(day), 9.0, 20.0) for day in range(5)] + [("5", 10.0, 19.0)]


class ResCompany(models.Model):
    _inherit = "res.company"

    optical_recall_months = fields.Integer(
        string="Eye exam recall (months)",
        default=12,
        help="Months after an eye exam when the customer is due for the next one.",
    )
    optical_send_calendar_id = fields.Many2one(
        "resource.calendar",
        string="Send window",
        help="Hours in which messages may reach customers, in the calendar's "
        "timezone; its time off are closing days. Messages due outside the window "
        "wait for the next opening: they are never dropped.",
    )
    optical_skip_public_holidays = fields.Boolean(
        string="Not on Italian public holidays",
        default=True,
        help="No message on Italian national public holidays, whatever the window.",
    )
    optical_cap_count = fields.Integer(
        string="Frequency cap (messages)",
        default=2,
        help="At most this many messages per customer, across every campaign and "
        "cycle, in the period below. 0 disables the cap. Service messages come "
        "first: they count against the cap of promotions, while only other service "
        "messages can hold one back, and then it waits for room instead of being "
        "dropped.",
    )
    optical_cap_days = fields.Integer(string="Frequency cap (days)", default=30)
    optical_hourly_limit = fields.Integer(
        string="Hourly limit",
        help="At most this many messages per hour from this shop (0: no limit). "
        "The others wait for the next hour.",
    )
    optical_attribution_days = fields.Integer(
        string="Attribution window (days)",
        default=30,
        help="A sale (invoice, sales receipt, point of sale order, purchase from "
        "another system) made within this many days after a message counts as a "
        "conversion of that message.",
    )

    @api.constrains(
        "optical_cap_count",
        "optical_cap_days",
        "optical_hourly_limit",
        "optical_attribution_days",
    )
    def _check_optical_policy(self):
        for company in self:
            if (
                min(
                    company.optical_cap_count,
                    company.optical_hourly_limit,
                    company.optical_cap_days,
                )
                < 0
            ):
                raise ValidationError(
                    self.env._("Frequency cap and hourly limit cannot be negative.")
                )
            if company.optical_cap_count and company.optical_cap_days < 1:
                raise ValidationError(
                    self.env._("The frequency cap needs a period of at least one day.")
                )
            if company.optical_attribution_days < 1:
                raise ValidationError(
                    self.env._("The attribution window is at least one day.")
                )

    @api.constrains("optical_recall_months")
    def _check_optical_recall_months(self):
        for company in self:
            if not 1 <= company.optical_recall_months <= 60:
                raise ValidationError(
                    self.env._(
                        "The eye exam recall interval must be between 1 and 60 "
                        "months, not %(months)s.",
                        months=company.optical_recall_months,
                    )
                )

    def _optical_send_calendar(self):
        """The shop's send window, created with the defaults on first use."""
        self.ensure_one()
        if not self.optical_send_calendar_id:
            vals = {
                "name": self.env._("%(shop)s: send window", shop=self.name),
                "company_id": self.id,
                "tz": "Europe/Rome",
                "attendance_ids": [
                    fields.Command.create(
                        {
                            "name": name,
                            "dayofweek": day,
                            "hour_from": hour_from,
                            "hour_to": hour_to,
                        }
                    )
                    for (day, hour_from, hour_to), name in zip(
                        DEFAULT_SEND_WINDOW,
                        (
                            self.env._("Monday"),
                            self.env._("Tuesday"),
                            self.env._("Wednesday"),
                            self.env._("Thursday"),
                            self.env._("Friday"),
                            self.env._("Saturday"),
                        ),
                        strict=True,
                    )
                ],
            }
            Calendar = self.env["resource.calendar"].sudo()
            if self.env.cr.readonly:
                # a read-only request (a list, a kanban): the defaults, unsaved
                return Calendar.new(vals)
            calendar = Calendar.create(vals)
            self.sudo().optical_send_calendar_id = calendar
        return self.optical_send_calendar_id

    def _optical_sms_price_per_segment(self):
        """Price of one SMS segment in the company currency (0.0: unknown).

        optical_crm_sms returns the price of the company's active SMS provider.
        """
        self.ensure_one()
        return 0.0
