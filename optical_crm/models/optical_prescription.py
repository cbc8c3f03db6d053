from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import format_date

PRISM_BASES = [("up", "Up"), ("down", "Down"), ("in", "In"), ("out", "Out")]
EYES = ("od", "os")
EYE_VALUES = ("sphere", "cylinder", "axis", "addition", "prism", "prism_base", "pd")
STEP = 0.25


def _on_step(value, step=STEP):
    """True when ``value`` is a multiple of ``step`` (float-safe)."""
    return abs(value / step - round(value / step)) < 1e-6


def _fmt(value):
    return f"{value:+.2f}"


class OpticalPrescription(models.Model):
    _name = "optical.prescription"
    _description = "Optical prescription"
    _inherit = ["optical.health.mixin", "mail.thread"]
    _order = "date desc, id desc"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        ondelete="cascade",
        tracking=True,
    )
    date = fields.Date(
        required=True, default=fields.Date.context_today, index=True, tracking=True
    )
    kind = fields.Selection(
        [("spectacles", "Spectacles"), ("contact_lens", "Contact lenses")],
        required=True,
        default="spectacles",
        tracking=True,
    )
    exam_id = fields.Many2one(
        "optical.exam",
        string="Eye exam",
        index=True,
        check_company=True,
        domain="[('partner_id', '=', partner_id)]",
    )
    prescriber_id = fields.Many2one(
        "res.users",
        string="Prescribed by",
        default=lambda self: self.env.user,
    )
    expiry_date = fields.Date(
        string="Valid until",
        compute="_compute_expiry_date",
        store=True,
        readonly=False,
        help="One year after the prescription date unless changed.",
    )
    # right eye (OD) and left eye (OS)
    od_sphere = fields.Float(string="OD SPH", digits=(4, 2), tracking=True)
    od_cylinder = fields.Float(string="OD CYL", digits=(4, 2), tracking=True)
    od_axis = fields.Integer(string="OD AX", tracking=True)
    od_addition = fields.Float(string="OD ADD", digits=(4, 2), tracking=True)
    od_prism = fields.Float(string="OD PRISM", digits=(4, 2))
    od_prism_base = fields.Selection(PRISM_BASES, string="OD BASE")
    od_pd = fields.Float(
        string="OD PD", digits=(4, 1), help="Monocular pupillary distance (mm)."
    )
    os_sphere = fields.Float(string="OS SPH", digits=(4, 2), tracking=True)
    os_cylinder = fields.Float(string="OS CYL", digits=(4, 2), tracking=True)
    os_axis = fields.Integer(string="OS AX", tracking=True)
    os_addition = fields.Float(string="OS ADD", digits=(4, 2), tracking=True)
    os_prism = fields.Float(string="OS PRISM", digits=(4, 2))
    os_prism_base = fields.Selection(PRISM_BASES, string="OS BASE")
    os_pd = fields.Float(
        string="OS PD", digits=(4, 1), help="Monocular pupillary distance (mm)."
    )
    pd = fields.Float(
        string="PD", digits=(4, 1), help="Binocular pupillary distance (mm)."
    )
    # contact lenses only
    cl_base_curve = fields.Float(
        string="Base curve", digits=(4, 2), help="Contact lenses only (mm)."
    )
    cl_diameter = fields.Float(
        string="Diameter", digits=(4, 2), help="Contact lenses only (mm)."
    )
    note = fields.Text(string="Notes")
    import_ref = fields.Char(
        string="Import reference",
        copy=False,
        index="btree_not_null",
        readonly=True,
        help="Key of the row this prescription was imported from: importing the "
        "same file again does not duplicate it.",
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )

    _sql_constraints = [
        (
            "import_ref_unique",
            "unique(company_id, import_ref)",
            "This prescription has already been imported.",
        )
    ]

    @api.depends("date")
    def _compute_expiry_date(self):
        for prescription in self:
            prescription.expiry_date = prescription.date and (
                prescription.date + relativedelta(years=1)
            )

    @api.depends("partner_id", "date", "kind")
    def _compute_display_name(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        for prescription in self:
            prescription.display_name = " - ".join(
                part
                for part in (
                    prescription.partner_id.name,
                    kinds.get(prescription.kind),
                    format_date(self.env, prescription.date)
                    if prescription.date
                    else "",
                )
                if part
            )

    @api.onchange("kind")
    def _onchange_kind(self):
        if self.kind != "contact_lens":
            self.cl_base_curve = 0
            self.cl_diameter = 0

    @api.onchange("exam_id")
    def _onchange_exam_id(self):
        if self.exam_id:
            self.partner_id = self.exam_id.partner_id
            self.date = self.exam_id.date

    # ------------------------------------------------------------------
    # Validation
    # ------------------------------------------------------------------
    def _optical_eye_errors(self, eye):
        """Problems with one eye's values, as translated sentences."""
        self.ensure_one()
        _ = self.env._
        label = _("Right eye (OD)") if eye == "od" else _("Left eye (OS)")
        val = {name: self[f"{eye}_{name}"] for name in EYE_VALUES}
        errors = []
        if not -30 <= val["sphere"] <= 30 or not _on_step(val["sphere"]):
            errors.append(
                _(
                    "%(eye)s: the sphere must be between -30.00 and +30.00 in "
                    "steps of 0.25, not %(value)s.",
                    eye=label,
                    value=_fmt(val["sphere"]),
                )
            )
        if not -10 <= val["cylinder"] <= 10 or not _on_step(val["cylinder"]):
            errors.append(
                _(
                    "%(eye)s: the cylinder must be between -10.00 and +10.00 in "
                    "steps of 0.25, not %(value)s.",
                    eye=label,
                    value=_fmt(val["cylinder"]),
                )
            )
        if not 0 <= val["axis"] <= 180:
            errors.append(
                _(
                    "%(eye)s: the axis must be between 0 and 180 degrees, "
                    "not %(value)s.",
                    eye=label,
                    value=val["axis"],
                )
            )
        elif val["cylinder"] and not val["axis"]:
            errors.append(
                _(
                    "%(eye)s: the axis is required when the cylinder is not zero "
                    "(1 to 180 degrees; write 180 for 0).",
                    eye=label,
                )
            )
        addition = val["addition"]
        if addition and (not 0.75 <= addition <= 4 or not _on_step(addition)):
            errors.append(
                _(
                    "%(eye)s: the addition must be between +0.75 and +4.00 in "
                    "steps of 0.25, not %(value)s.",
                    eye=label,
                    value=_fmt(addition),
                )
            )
        prism = val["prism"]
        if prism and (not 0 < prism <= 15 or not _on_step(prism)):
            errors.append(
                _(
                    "%(eye)s: the prism must be between 0.25 and 15.00 prism "
                    "dioptres in steps of 0.25, not %(value)s.",
                    eye=label,
                    value=format(prism, ".2f"),
                )
            )
        if prism and not val["prism_base"]:
            errors.append(
                _(
                    "%(eye)s: a prism needs its base direction (up, down, in or "
                    "out).",
                    eye=label,
                )
            )
        if val["prism_base"] and not prism:
            errors.append(
                _(
                    "%(eye)s: a prism base is set but there is no prism.",
                    eye=label,
                )
            )
        if val["pd"] and not 20 <= val["pd"] <= 40:
            errors.append(
                _(
                    "%(eye)s: the monocular pupillary distance must be between "
                    "20 and 40 mm, not %(value)s.",
                    eye=label,
                    value=val["pd"],
                )
            )
        return errors

    def _optical_errors(self):
        self.ensure_one()
        _ = self.env._
        errors = self._optical_eye_errors("od") + self._optical_eye_errors("os")
        if self.pd and not 40 <= self.pd <= 80:
            errors.append(
                _(
                    "The binocular pupillary distance must be between 40 and 80 "
                    "mm, not %(value)s.",
                    value=self.pd,
                )
            )
        elif self.pd and self.od_pd and self.os_pd:
            if abs(self.od_pd + self.os_pd - self.pd) > 1:
                errors.append(
                    _(
                        "The pupillary distances do not match: right %(od)s mm + "
                        "left %(os)s mm is not %(pd)s mm.",
                        od=self.od_pd,
                        os=self.os_pd,
                        pd=self.pd,
                    )
                )
        if self.kind == "contact_lens":
            if self.cl_base_curve and not 6.5 <= self.cl_base_curve <= 10.5:
                errors.append(
                    _(
                        "The contact lens base curve must be between 6.50 and "
                        "10.50 mm, not %(value)s.",
                        value=self.cl_base_curve,
                    )
                )
            if self.cl_diameter and not 8 <= self.cl_diameter <= 16:
                errors.append(
                    _(
                        "The contact lens diameter must be between 8.00 and "
                        "16.00 mm, not %(value)s.",
                        value=self.cl_diameter,
                    )
                )
        elif self.cl_base_curve or self.cl_diameter:
            errors.append(
                _(
                    "Base curve and diameter belong to contact lens "
                    "prescriptions only: clear them or change the type."
                )
            )
        today = fields.Date.context_today(self)
        if self.date and self.date > today:
            errors.append(
                _(
                    "The prescription date %(date)s is in the future.",
                    date=format_date(self.env, self.date),
                )
            )
        if self.expiry_date and self.date and self.expiry_date < self.date:
            errors.append(
                _(
                    "The prescription cannot expire (%(expiry)s) before it was "
                    "written (%(date)s).",
                    expiry=format_date(self.env, self.expiry_date),
                    date=format_date(self.env, self.date),
                )
            )
        if self.exam_id and self.exam_id.partner_id != self.partner_id:
            errors.append(
                _(
                    "The eye exam %(exam)s belongs to another customer.",
                    exam=self.exam_id.display_name,
                )
            )
        return errors

    @api.constrains(
        *(f"{eye}_{name}" for eye in EYES for name in EYE_VALUES),
        "pd",
        "kind",
        "cl_base_curve",
        "cl_diameter",
        "date",
        "expiry_date",
        "exam_id",
        "partner_id",
    )
    def _check_optical_values(self):
        for prescription in self:
            errors = prescription._optical_errors()
            if errors:
                raise ValidationError("\n".join(errors))

    def _optical_report_rows(self):
        """Rows OD and OS of the printed prescription, formatted as opticians do."""
        self.ensure_one()
        bases = dict(self._fields["od_prism_base"]._description_selection(self.env))
        rows = []
        for eye, label in (("od", "OD"), ("os", "OS")):
            cyl = self[f"{eye}_cylinder"]
            add = self[f"{eye}_addition"]
            prism = self[f"{eye}_prism"]
            pd = self[f"{eye}_pd"]
            rows.append(
                (
                    label,
                    _fmt(self[f"{eye}_sphere"]),
                    _fmt(cyl) if cyl else "",
                    str(self[f"{eye}_axis"]) if cyl else "",
                    _fmt(add) if add else "",
                    f"{prism:.2f}" if prism else "",
                    bases.get(self[f"{eye}_prism_base"], ""),
                    f"{pd:.1f}" if pd else "",
                )
            )
        return rows

    # ------------------------------------------------------------------
    # Profile
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        self.env["res.partner"]._optical_refresh_profile(
            records.partner_id.ids, parts=["prescriptions"]
        )
        return records

    def write(self, vals):
        partners = self.partner_id
        res = super().write(vals)
        if {"partner_id", "date"} & set(vals):
            self.env["res.partner"]._optical_refresh_profile(
                (partners | self.partner_id).ids, parts=["prescriptions"]
            )
        return res

    def unlink(self):
        partners = self.partner_id
        res = super().unlink()
        self.env["res.partner"]._optical_refresh_profile(
            partners.ids, parts=["prescriptions"]
        )
        return res
