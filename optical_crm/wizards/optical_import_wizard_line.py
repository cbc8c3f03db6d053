from odoo import fields, models


class OpticalImportWizardLine(models.TransientModel):
    _name = "optical.import.wizard.line"
    _description = "Legacy import: result of one row"
    _order = "row"

    wizard_id = fields.Many2one(
        "optical.import.wizard", required=True, ondelete="cascade", index=True
    )
    row = fields.Integer(help="Line number in the file (the header is line 1).")
    reference = fields.Char(help="Customer code, document or prescription key.")
    status = fields.Selection(
        [
            ("new", "New"),
            ("updated", "Updated"),
            ("unchanged", "Unchanged"),
            ("rejected", "Rejected"),
        ],
        required=True,
    )
    message = fields.Text()
