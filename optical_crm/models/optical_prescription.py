from odoo import fields, models


class OpticalPrescription(models.Model):
    _name = "optical.prescription"
    _description = "Optical prescription"
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, ondelete="cascade"
    )
    date = fields.Date(required=True, default=fields.Date.context_today, index=True)
    kind = fields.Selection(
        [("spectacles", "Spectacles"), ("contact_lens", "Contact lenses")],
        required=True,
        default="spectacles",
    )
    exam_id = fields.Many2one(
        "optical.exam", string="Eye exam", index=True, check_company=True
    )
    expiry_date = fields.Date(string="Valid until")
    # right eye (OD) and left eye (OS)
    od_sphere = fields.Float(string="OD SPH", digits=(4, 2))
    od_cylinder = fields.Float(string="OD CYL", digits=(4, 2))
    od_axis = fields.Integer(string="OD AX")
    od_addition = fields.Float(string="OD ADD", digits=(4, 2))
    od_prism = fields.Float(string="OD PRISM", digits=(4, 2))
    od_prism_base = fields.Selection(
        [("up", "Up"), ("down", "Down"), ("in", "In"), ("out", "Out")],
        string="OD BASE",
    )
    os_sphere = fields.Float(string="OS SPH", digits=(4, 2))
    os_cylinder = fields.Float(string="OS CYL", digits=(4, 2))
    os_axis = fields.Integer(string="OS AX")
    os_addition = fields.Float(string="OS ADD", digits=(4, 2))
    os_prism = fields.Float(string="OS PRISM", digits=(4, 2))
    os_prism_base = fields.Selection(
        [("up", "Up"), ("down", "Down"), ("in", "In"), ("out", "Out")],
        string="OS BASE",
    )
    pd = fields.Float(string="PD", digits=(4, 1), help="Pupillary distance (mm).")
    # contact lenses only
    cl_base_curve = fields.Float(string="Base curve", digits=(4, 2))
    cl_diameter = fields.Float(string="Diameter", digits=(4, 2))
    note = fields.Text(string="Notes")
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
