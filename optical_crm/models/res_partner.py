from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    optical_birthdate = fields.Date(string="Birthdate", index=True)
    optical_prescription_ids = fields.One2many(
        "optical.prescription",
        "partner_id",
        string="Prescriptions",
        groups="optical_crm.group_optical_optometrist",
    )
    optical_exam_ids = fields.One2many(
        "optical.exam",
        "partner_id",
        string="Eye exams",
        groups="optical_crm.group_optical_optometrist",
    )
    optical_consent_ids = fields.One2many(
        "optical.consent", "partner_id", string="Consents"
    )
    optical_touchpoint_ids = fields.One2many(
        "optical.touchpoint", "partner_id", string="Touchpoints"
    )
    # Stored figures, kept current by the events that change them (invoices, exams).
    optical_last_exam_date = fields.Date(string="Last eye exam", index=True)
    optical_next_exam_date = fields.Date(string="Next eye exam (recall)", index=True)
    optical_last_purchase_date = fields.Date(string="Last purchase", index=True)
    optical_cl_runout_date = fields.Date(string="Contact lenses run out", index=True)
    optical_ltv = fields.Float(
        string="Lifetime value",
        digits="Account",
        help="Posted customer invoices less credit notes, in company currency.",
    )
