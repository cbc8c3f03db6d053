from odoo import api, fields, models

from ..tools.legacy_columns import COLUMNS, EYE_COLUMNS, IGNORE


class OpticalImportWizardColumn(models.TransientModel):
    """A column of the file that the import did not recognise: the user says what
    it holds (or to ignore it); the choice is remembered by the shop."""

    _name = "optical.import.wizard.column"
    _description = "Legacy import: a column not recognised"
    _order = "sequence"

    wizard_id = fields.Many2one(
        "optical.import.wizard", required=True, ondelete="cascade", index=True
    )
    sequence = fields.Integer()
    header = fields.Char(string="Column", readonly=True)
    column_name = fields.Char(
        string="Normalized column",
        readonly=True,
        help="The column's title, normalized.",
    )
    target = fields.Selection(
        "_selection_target",
        string="Holds",
        help="What the column holds. Not set: the column is not imported and "
        "nothing is remembered.",
    )
    remembered = fields.Boolean(
        readonly=True, help="Mapped as the shop said for a previous file."
    )

    @api.model
    def _selection_target(self):
        """'Ignore' and the values of the kind of file in the context
        (``optical_import_type``, set by the wizard), or of every kind."""
        kind = self.env.context.get("optical_import_type")
        labels = self._target_labels()
        keys = dict.fromkeys(
            key
            for import_type, table in COLUMNS.items()
            if kind in (None, import_type)
            for key in table
        )
        return [(IGNORE, self.env._("Ignore"))] + [
            (key, labels.get(key, key)) for key in keys
        ]

    @api.model
    def _target_labels(self):
        _ = self.env._
        labels = {
            "code": _("Customer code"),
            "last_name": _("Surname"),
            "first_name": _("First name"),
            "birthdate": _("Birthdate"),
            "street": _("Address"),
            "zip": _("ZIP"),
            "city": _("City"),
            "province": _("Province"),
            "phone": _("Phone"),
            "mobile": _("Mobile"),
            "email": _("Email"),
            "consent_sms": _("SMS consent"),
            "consent_email": _("Email consent"),
            "consent_phone": _("Phone consent"),
            "consent_date": _("Consent date"),
            "note": _("Notes"),
            "date": _("Date"),
            "ref": _("Prescription number"),
            "kind": _("Prescription type"),
            "pd": _("PD (both eyes)"),
            "addition": _("Addition (both eyes)"),
            "cl_base_curve": _("Base curve"),
            "cl_diameter": _("Diameter"),
            "expiry": _("Expiry date"),
            "document": _("Document number"),
            "product_code": _("Product code"),
            "description": _("Description"),
            "category": _("Category"),
            "quantity": _("Quantity"),
            "amount": _("Amount"),
        }
        eye_values = {
            "sphere": _("sphere"),
            "cylinder": _("cylinder"),
            "axis": _("axis"),
            "addition": _("addition"),
            "prism": _("prism"),
            "prism_base": _("prism base"),
            "pd": _("PD"),
            "cl_base_curve": _("base curve"),
            "cl_diameter": _("diameter"),
        }
        for eye, name in (("od", "OD"), ("os", "OS")):
            for key in EYE_COLUMNS:
                labels[f"{eye}_{key}"] = f"{name} {eye_values[key]}"
        return labels
