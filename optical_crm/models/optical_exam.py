from datetime import datetime, time, timedelta

import pytz
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import format_date


class OpticalExam(models.Model):
    _name = "optical.exam"
    _description = "Eye exam"
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
    examiner_id = fields.Many2one(
        "res.users",
        default=lambda self: self.env.user,
        domain=lambda self: [
            (
                "groups_id",
                "in",
                self.env.ref("optical_crm.group_optical_optometrist").ids,
            )
        ],
        tracking=True,
    )
    prescription_ids = fields.One2many(
        "optical.prescription", "exam_id", string="Prescriptions"
    )
    prescription_count = fields.Integer(compute="_compute_prescription_count")
    next_exam_date = fields.Date(
        string="Next exam (recall)",
        index=True,
        compute="_compute_next_exam_date",
        store=True,
        readonly=False,
        tracking=True,
        help="When the customer should come back for the next eye exam: by default "
        "the exam date plus the shop's recall interval.",
    )
    note = fields.Text(string="Notes")
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )

    @api.depends("date", "company_id")
    def _compute_next_exam_date(self):
        for exam in self:
            months = exam.company_id.optical_recall_months or 12
            exam.next_exam_date = exam.date and exam.date + relativedelta(months=months)

    @api.depends("prescription_ids")
    def _compute_prescription_count(self):
        for exam in self:
            exam.prescription_count = len(exam.prescription_ids)

    @api.depends("partner_id", "date")
    def _compute_display_name(self):
        for exam in self:
            exam.display_name = " - ".join(
                part
                for part in (
                    exam.partner_id.name,
                    format_date(self.env, exam.date) if exam.date else "",
                )
                if part
            )

    @api.constrains("date", "next_exam_date")
    def _check_dates(self):
        today = fields.Date.context_today(self)
        for exam in self:
            if exam.date > today:
                raise ValidationError(
                    self.env._(
                        "The eye exam of %(date)s is in the future: record an exam "
                        "once it has been done (book future visits as activities).",
                        date=format_date(self.env, exam.date),
                    )
                )
            if exam.next_exam_date and exam.next_exam_date <= exam.date:
                raise ValidationError(
                    self.env._(
                        "The next exam (%(next)s) must come after this exam "
                        "(%(date)s).",
                        next=format_date(self.env, exam.next_exam_date),
                        date=format_date(self.env, exam.date),
                    )
                )

    @api.model
    def _optical_record_once(self, partner, day, note):
        """``(exam, created)``: the customer's eye exam of ``day`` in the current
        shop, recorded unless there is one (an exam imported from another
        software, whoever examined: importing it again records nothing)."""
        exam = self.search(
            [
                ("partner_id", "=", partner.id),
                ("date", "=", day),
                ("company_id", "=", self.env.company.id),
            ],
            limit=1,
        )
        if exam:
            return exam, False
        exam = self.create(
            {
                "partner_id": partner.id,
                "date": day,
                "examiner_id": False,
                "company_id": self.env.company.id,
                "note": note,
            }
        )
        return exam, True

    # ------------------------------------------------------------------
    # Touchpoints and profile
    # ------------------------------------------------------------------
    def _optical_touchpoint_datetime(self):
        self.ensure_one()
        tz_name = self.company_id.partner_id.tz or self.env.user.tz or "Europe/Rome"
        local = pytz.timezone(tz_name).localize(datetime.combine(self.date, time(12)))
        moment = local.astimezone(pytz.utc).replace(tzinfo=None)
        return min(moment, fields.Datetime.now() - timedelta(seconds=1))

    def _optical_touchpoint_vals(self):
        self.ensure_one()
        return {
            "partner_id": self.partner_id.id,
            "datetime": self._optical_touchpoint_datetime(),
            "channel": "store",
            "kind": "exam",
            "summary": self.env._("Eye exam"),
            "source": "odoo",
            "external_ref": f"optical.exam,{self.id}",
            "res_model": "optical.exam",
            "res_id": self.id,
            "company_id": self.company_id.id,
        }

    def _optical_touchpoints(self):
        return (
            self.env["optical.touchpoint"]
            .sudo()
            .search([("res_model", "=", "optical.exam"), ("res_id", "in", self.ids)])
        )

    @api.model_create_multi
    def create(self, vals_list):
        exams = super().create(vals_list)
        self.env["optical.touchpoint"]._record_once(
            [exam._optical_touchpoint_vals() for exam in exams]
        )
        self.env["res.partner"]._optical_refresh_profile(
            exams.partner_id.ids, parts=["exams"]
        )
        return exams

    def write(self, vals):
        partners = self.partner_id
        res = super().write(vals)
        if {"partner_id", "date", "company_id"} & set(vals):
            touchpoints = {t.res_id: t for t in self._optical_touchpoints()}
            for exam in self:
                touchpoint = touchpoints.get(exam.id)
                if touchpoint:
                    tp_vals = exam._optical_touchpoint_vals()
                    touchpoint.write(
                        {
                            key: tp_vals[key]
                            for key in ("partner_id", "datetime", "company_id")
                        }
                    )
        if {"partner_id", "date", "next_exam_date", "company_id"} & set(vals):
            self.env["res.partner"]._optical_refresh_profile(
                (partners | self.partner_id).ids, parts=["exams"]
            )
        return res

    def unlink(self):
        partners = self.partner_id
        self._optical_touchpoints().unlink()
        res = super().unlink()
        self.env["res.partner"]._optical_refresh_profile(partners.ids, parts=["exams"])
        return res
