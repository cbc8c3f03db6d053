from odoo import api, fields, models
from odoo.exceptions import ValidationError

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
CL_FIELDS = ("optical_cl_replacement_days", "optical_cl_lenses_per_pack")


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

    @api.constrains("optical_category", *CL_FIELDS)
    def _check_optical_cl_fields(self):
        for product in self:
            days = product.optical_cl_replacement_days
            per_pack = product.optical_cl_lenses_per_pack
            if product.optical_category != "contact_lens":
                continue
            if not 1 <= days <= 365:
                raise ValidationError(
                    self.env._(
                        "Contact lenses %(product)s: the replacement period must be "
                        "between 1 and 365 days (1 for daily lenses, 14 for "
                        "two-weekly, 30 for monthly), not %(days)s.",
                        product=product.display_name,
                        days=days,
                    )
                )
            if not 1 <= per_pack <= 365:
                raise ValidationError(
                    self.env._(
                        "Contact lenses %(product)s: the number of lenses per pack "
                        "must be between 1 and 365, not %(count)s.",
                        product=product.display_name,
                        count=per_pack,
                    )
                )

    @api.onchange("optical_category")
    def _onchange_optical_category(self):
        if self.optical_category != "contact_lens":
            self.optical_cl_replacement_days = 0
            self.optical_cl_lenses_per_pack = 0

    def write(self, vals):
        res = super().write(vals)
        if {"optical_category", *CL_FIELDS} & set(vals):
            # The category is stored on invoice lines and drives the run-out date.
            variants = self.with_context(active_test=False).product_variant_ids
            self.env["res.partner"]._optical_refresh_profile_for_products(variants.ids)
        return res
