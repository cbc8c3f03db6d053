from odoo import api, fields, models

from odoo.addons.optical_crm.models.product_template import OPTICAL_CATEGORIES


class OpticalCycleCategory(models.Model):
    """One optical category (``product.template.optical_category``) as a record,
    so that a cycle can filter on several of them (many2many tags)."""

    _name = "optical.cycle.category"
    _description = "Optical category (cycle filter)"
    _order = "sequence, id"

    code = fields.Selection(OPTICAL_CATEGORIES, required=True, readonly=True)
    sequence = fields.Integer(default=10)

    _sql_constraints = [
        ("code_uniq", "unique(code)", "Each optical category exists once."),
    ]

    @api.depends("code")
    def _compute_display_name(self):
        labels = dict(self._fields["code"]._description_selection(self.env))
        for category in self:
            category.display_name = labels.get(category.code, category.code)

    @api.model
    def _search_display_name(self, operator, value):
        if operator not in ("ilike", "=", "=ilike", "like") or not value:
            return super()._search_display_name(operator, value)
        labels = self._fields["code"]._description_selection(self.env)
        needle = str(value).lower()
        codes = [code for code, label in labels if needle in label.lower()]
        return [("code", "in", codes)]
