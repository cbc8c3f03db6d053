from odoo import fields, models


class OpticalExam(models.Model):
    _name = "optical.exam"
    _description = "Eye exam"
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, ondelete="cascade"
    )
    date = fields.Date(required=True, default=fields.Date.context_today, index=True)
    examiner_id = fields.Many2one("res.users", default=lambda self: self.env.user)
    prescription_ids = fields.One2many(
        "optical.prescription", "exam_id", string="Prescriptions"
    )
    next_exam_date = fields.Date(
        string="Next exam (recall)",
        index=True,
        help="When the customer should come back for the next eye exam.",
    )
    note = fields.Text(string="Notes")
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
