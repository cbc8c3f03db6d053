from odoo import fields, models

OPTICAL_CATEGORIES = [
    ("frame", "Frame"),
    ("spectacle_lens", "Spectacle lens"),
    ("spectacles", "Corrective glasses"),
    ("sunglasses", "Sunglasses"),
    ("contact_lens", "Contact lenses"),
    ("lens_care", "Lens care"),
    ("eye_exam", "Eye exam"),
    ("accessory", "Accessory"),
]


class ProductTemplate(models.Model):
    _inherit = "product.template"

    optical_category = fields.Selection(
        OPTICAL_CATEGORIES,
        string="Optical category",
        index=True,
        help="What the product is for the optical shop: used by segments, cycles "
        "and reports.",
    )
    optical_cl_replacement_days = fields.Integer(
        string="Replacement (days)",
        help="Contact lenses: days each lens is worn before it is replaced "
        "(1 for dailies, 14, 30...).",
    )
    optical_cl_lenses_per_pack = fields.Integer(
        string="Lenses per pack",
        help="Contact lenses: number of lenses in one pack.",
    )
