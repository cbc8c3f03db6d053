from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    optical_recall_months = fields.Integer(
        string="Eye exam recall (months)",
        default=12,
        help="Months after an eye exam when the customer is due for the next one.",
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
