from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..tools.legacy_columns import COLUMNS, IGNORE, column_key, normalize

IMPORT_TYPES = [
    ("customers", "Customers"),
    ("prescriptions", "Prescriptions"),
    ("purchases", "Purchase history"),
]


class OpticalImportMapping(models.Model):
    """A column of a legacy file that the import did not recognise, and what the
    shop said it holds: applied to the next file of the same kind."""

    _name = "optical.import.mapping"
    _description = "Legacy import: a column mapped by the shop"
    _order = "import_type, column_name"
    _check_company_auto = True

    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    import_type = fields.Selection(IMPORT_TYPES, string="File content", required=True)
    column_name = fields.Char(
        string="Column",
        required=True,
        help="The column's title, normalized (lower case, no accents).",
    )
    target = fields.Char(
        required=True,
        help="What the column holds (a key of the import), or 'ignore'.",
    )

    _sql_constraints = [
        (
            "column_name_unique",
            "unique(company_id, import_type, column_name)",
            "This column is already mapped for this kind of file in this shop.",
        )
    ]

    @api.constrains("import_type", "target")
    def _check_target(self):
        for mapping in self:
            if mapping.target != IGNORE and mapping.target not in COLUMNS.get(
                mapping.import_type, {}
            ):
                raise ValidationError(
                    self.env._(
                        "A column of this kind of file cannot hold '%(target)s'.",
                        target=mapping.target,
                    )
                )

    @api.model
    def _optical_map_header(self, import_type, header, chosen):
        """``({our key: column index}, [values of the columns not recognised])``
        of the ``header`` of a file of ``import_type``.

        A column is recognised by the tables of ``legacy_columns``; any other
        holds what the user ``chosen`` for it (``{normalized column: target}``),
        else what the current shop remembered for this kind of file, else nothing
        (it is not imported). UserError when two columns hold the same value.
        """
        remembered = {
            mapping.column_name: mapping.target
            for mapping in self.search(
                [
                    ("company_id", "=", self.env.company.id),
                    ("import_type", "=", import_type),
                ]
            )
        }
        valid = set(COLUMNS[import_type]) | {IGNORE}
        mapping, unknown = {}, []
        for index, title in enumerate(header):
            key = column_key(import_type, title)
            if key and key not in mapping:
                mapping[key] = index
            elif normalize(title):
                unknown.append((index, title))
        columns = []
        for index, title in unknown:
            column = normalize(title)
            target = chosen[column] if column in chosen else remembered.get(column)
            target = target if target in valid else False
            columns.append(
                {
                    "sequence": index,
                    "header": title,
                    "column_name": column,
                    "target": target,
                    "remembered": bool(target) and remembered.get(column) == target,
                }
            )
            if not target or target == IGNORE:
                continue
            if target in mapping:
                raise UserError(
                    self.env._(
                        "Columns %(first)s and %(second)s hold the same value: set "
                        "one of them to Ignore.",
                        first=header[mapping[target]],
                        second=title,
                    )
                )
            mapping[target] = index
        return mapping, columns

    @api.model
    def _optical_remember(self, import_type, targets):
        """Remember ``{normalized column: target}`` for the current shop; a
        column without a target is forgotten."""
        existing = {
            mapping.column_name: mapping
            for mapping in self.search(
                [
                    ("company_id", "=", self.env.company.id),
                    ("import_type", "=", import_type),
                    ("column_name", "in", list(targets)),
                ]
            )
        }
        for column, target in targets.items():
            mapping = existing.get(column, self.browse())
            if not target:
                mapping.unlink()
            elif mapping:
                if mapping.target != target:
                    mapping.target = target
            else:
                self.create(
                    {
                        "company_id": self.env.company.id,
                        "import_type": import_type,
                        "column_name": column,
                        "target": target,
                    }
                )
