from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    optical_recall_months = fields.Integer(
        string="Eye exam recall (months)",
        default=12,
        help="Months after an eye exam when the customer is due for the next one.",
    )

    def _optical_sms_price_per_segment(self):
        """Price of one SMS segment in the company currency (0.0: unknown).

        optical_crm_sms returns the price of the company's active SMS provider.
        """
        self.ensure_one()
        return 0.0
