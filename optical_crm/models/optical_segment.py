import ast

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.osv import expression
from odoo.tools.misc import format_date

from .optical_consent import CONSENT_CHANNELS
from .product_template import OPTICAL_CATEGORIES

EXAM_FILTERS = [
    ("due", "Due within the next days"),
    ("overdue", "Overdue by months"),
    ("due_or_overdue", "Due within the next days, or overdue"),
]
# recall lists: customer lists of the shop dashboard (optical.value.dashboard
# audiences), evaluated for the shop the segment is used in
RECALL_LISTS = [
    ("exam_recall", "Eye exam overdue or due this month"),
    ("cl_runout", "Contact lenses running out within 30 days"),
    ("lapsed", "Lapsed: no purchase in 18 months"),
]
MONTHS = [
    ("1", "January"),
    ("2", "February"),
    ("3", "March"),
    ("4", "April"),
    ("5", "May"),
    ("6", "June"),
    ("7", "July"),
    ("8", "August"),
    ("9", "September"),
    ("10", "October"),
    ("11", "November"),
    ("12", "December"),
]
# criteria (field names) that make up the domain: a change recomputes the live count
CRITERIA = (
    "age_min",
    "age_max",
    "bought_category",
    "bought_months",
    "not_bought_category",
    "not_bought_months",
    "exam_filter",
    "exam_due_days",
    "exam_overdue_months",
    "last_exam_months",
    "cl_runout_days",
    "prescription_months",
    "birthday_month",
    "shop_id",
    "consent_channel",
    "recall_list",
    "domain",
)
# criteria that select nobody by themselves (a default without its filter)
SELECTION_NEUTRAL = ("domain", "exam_due_days")


class OpticalSegment(models.Model):
    """A reusable target: optical criteria compiled into one ``res.partner`` domain.

    Criteria on other tables (purchases, prescriptions, consent) go through
    search-only partner fields that return SQL subqueries, so that counting or
    selecting a segment is one SQL query whatever its size.
    """

    _name = "optical.segment"
    _description = "Customer segment"
    _order = "name, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True)
    company_id = fields.Many2one(
        "res.company",
        string="Shop",
        index=True,
        default=lambda self: self.env.company,
        help="Shop owning the segment; empty for the ready-made ones shared by "
        "every shop.",
    )
    age_min = fields.Integer(string="Age from", help="0: no lower limit.")
    age_max = fields.Integer(string="Age to", help="0: no upper limit.")
    bought_category = fields.Selection(OPTICAL_CATEGORIES, string="Bought")
    bought_months = fields.Integer(
        string="Bought in the last (months)", help="0: at any time."
    )
    not_bought_category = fields.Selection(OPTICAL_CATEGORIES, string="Not bought")
    not_bought_months = fields.Integer(
        string="Not bought in the last (months)", help="0: never."
    )
    exam_filter = fields.Selection(EXAM_FILTERS, string="Eye exam")
    exam_due_days = fields.Integer(
        string="Due within (days)",
        default=30,
        help="Next eye exam (recall) falls within this many days from today.",
    )
    exam_overdue_months = fields.Integer(
        string="Overdue by (months)",
        help="Next eye exam (recall) passed at least this many months ago "
        "(0: any date in the past).",
    )
    last_exam_months = fields.Integer(
        string="Last eye exam over (months) ago",
        help="Last eye exam at least this many months ago; customers never examined "
        "in the shop are included (health data: optometrists only). 0: no "
        "criterion.",
    )
    cl_runout_days = fields.Integer(
        string="Contact lenses run out within (days)",
        help="0: no criterion.",
    )
    prescription_months = fields.Integer(
        string="Prescription older than (months)",
        help="The latest prescription written in the shop is at least this many "
        "months old (health data: optometrists only). 0: no criterion.",
    )
    birthday_month = fields.Selection(MONTHS, string="Birthday in")
    shop_id = fields.Many2one(
        "res.company",
        string="Customers of shop",
        help="Customers belonging to this shop or who bought there.",
    )
    consent_channel = fields.Selection(
        CONSENT_CHANNELS,
        string="Marketing consent for",
        help="Only customers whose latest marketing consent for this channel is "
        "granted. Campaigns check consent anyway when sending.",
    )
    recall_list = fields.Selection(
        RECALL_LISTS,
        help="Customers of the shop on this list of the shop dashboard: eye exam "
        "overdue or due by the end of the month, contact lenses running out within "
        "30 days, or bought before but not in the last 18 months.",
    )
    domain = fields.Char(
        string="Other conditions",
        default="[('is_company', '=', False)]",
        help="Any further filter on contacts.",
    )
    partner_count = fields.Integer(string="Customers", compute="_compute_partner_count")
    campaign_ids = fields.One2many("optical.campaign", "segment_id")

    @api.constrains(
        "age_min",
        "age_max",
        "bought_months",
        "not_bought_months",
        "exam_due_days",
        "exam_overdue_months",
        "last_exam_months",
        "cl_runout_days",
        "prescription_months",
    )
    def _check_numbers(self):
        for segment in self:
            if (
                min(
                    segment.age_min,
                    segment.age_max,
                    segment.bought_months,
                    segment.not_bought_months,
                    segment.exam_due_days,
                    segment.exam_overdue_months,
                    segment.last_exam_months,
                    segment.cl_runout_days,
                    segment.prescription_months,
                )
                < 0
            ):
                raise ValidationError(
                    self.env._(
                        "Segment %(name)s: ages, months and days cannot be negative.",
                        name=segment.name,
                    )
                )
            if segment.age_max and segment.age_min > segment.age_max:
                raise ValidationError(
                    self.env._(
                        "Segment %(name)s: the minimum age (%(min)s) is above the "
                        "maximum age (%(max)s).",
                        name=segment.name,
                        min=segment.age_min,
                        max=segment.age_max,
                    )
                )

    @api.constrains("domain")
    def _check_domain(self):
        for segment in self:
            try:
                segment._optical_free_domain()
                self.env["res.partner"].search_count(
                    segment._optical_free_domain(), limit=1
                )
            except Exception as error:
                raise ValidationError(
                    self.env._(
                        "Segment %(name)s: the other conditions are not a valid "
                        "filter on contacts (%(error)s).",
                        name=segment.name,
                        error=error,
                    )
                ) from error

    def _optical_portable_ref(self):
        """How an exported definition names this segment in another database:
        its XML id when it is a shipped one, else its name."""
        self.ensure_one()
        xmlid = self.get_external_id().get(self.id)
        if xmlid and not xmlid.startswith("__"):
            return {"xmlid": xmlid, "name": self.name}
        return {"name": self.name}

    @api.model
    def _optical_from_portable_ref(self, ref, company):
        """The segment an exported reference names, for ``company``, or empty."""
        if not isinstance(ref, dict):
            return self.browse()
        if ref.get("xmlid"):
            segment = self.env.ref(ref["xmlid"], raise_if_not_found=False)
            if segment and segment._name == self._name:
                return segment
        if not isinstance(ref.get("name"), str):
            return self.browse()
        return self.search(
            [("name", "=", ref["name"]), ("company_id", "in", (False, company.id))],
            limit=1,
        )

    def _optical_free_domain(self):
        self.ensure_one()
        domain = ast.literal_eval(self.domain or "[]")
        if not isinstance(domain, list):
            raise ValueError(self.env._("a list of conditions is expected"))
        return expression.normalize_domain(domain) if domain else []

    def _optical_domain(self):
        """The segment as one ``res.partner`` domain, evaluated today for the
        current shop."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        parts = []
        if self.age_min:
            parts.append(
                [("optical_birthdate", "<=", today - relativedelta(years=self.age_min))]
            )
        if self.age_max:
            parts.append(
                [
                    (
                        "optical_birthdate",
                        ">",
                        today - relativedelta(years=self.age_max + 1),
                    )
                ]
            )
        if self.bought_category:
            parts.append(
                [
                    (
                        "optical_purchase_filter",
                        "=",
                        f"{self.bought_category}:{self.bought_months}",
                    )
                ]
            )
        if self.not_bought_category:
            parts.append(
                [
                    (
                        "optical_purchase_filter",
                        "!=",
                        f"{self.not_bought_category}:{self.not_bought_months}",
                    )
                ]
            )
        due_until = today + relativedelta(days=self.exam_due_days)
        if self.exam_filter == "due":
            parts.append(
                [
                    ("optical_next_exam_date", ">=", today),
                    ("optical_next_exam_date", "<=", due_until),
                ]
            )
        elif self.exam_filter == "overdue":
            limit = today - relativedelta(months=self.exam_overdue_months)
            operator = "<=" if self.exam_overdue_months else "<"
            parts.append([("optical_next_exam_date", operator, limit)])
        elif self.exam_filter == "due_or_overdue":
            parts.append([("optical_next_exam_date", "<=", due_until)])
        if self.last_exam_months:
            cutoff = today - relativedelta(months=self.last_exam_months)
            parts.append(
                [
                    "|",
                    ("optical_last_exam_date", "=", False),
                    ("optical_last_exam_date", "<=", cutoff),
                ]
            )
        if self.cl_runout_days:
            parts.append(
                [
                    ("optical_cl_runout_date", ">=", today),
                    (
                        "optical_cl_runout_date",
                        "<=",
                        today + relativedelta(days=self.cl_runout_days),
                    ),
                ]
            )
        if self.prescription_months:
            parts.append(
                [("optical_prescription_age_filter", ">=", self.prescription_months)]
            )
        if self.birthday_month:
            parts.append([("optical_birth_month", "=", int(self.birthday_month))])
        if self.shop_id:
            parts.append([("optical_customer_of", "=", self.shop_id.id)])
        if self.consent_channel:
            parts.append([("optical_consent_filter", "=", self.consent_channel)])
        if self.recall_list:
            # the shop the segment is evaluated for (see _optical_partners)
            key = f"{self.recall_list}:{self.env.company.id}"
            parts.append([("optical_audience", "=", key)])
        free = self._optical_free_domain()
        if free:
            parts.append(free)
        return expression.AND(parts) if parts else []

    def _optical_partners(self, company=None):
        """The customers of the segment now (``res.partner``, active only)."""
        self.ensure_one()
        company = company or self.company_id or self.env.company
        return (
            self.env["res.partner"]
            .with_company(company)
            .search(self.with_company(company)._optical_domain(), order="id")
        )

    def _optical_count(self, company=None):
        self.ensure_one()
        company = company or self.company_id or self.env.company
        return (
            self.env["res.partner"]
            .with_company(company)
            .search_count(self.with_company(company)._optical_domain())
        )

    @api.depends(*CRITERIA)
    @api.depends_context("company")
    def _compute_partner_count(self):
        for segment in self:
            try:
                segment.partner_count = segment._optical_count()
            except (ValueError, SyntaxError):
                segment.partner_count = 0  # free domain being typed
            except AccessError:
                # criteria on health data (last exam, prescription age): only
                # optometrists may count, preview or send the segment
                segment.partner_count = 0

    def action_view_partners(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Customers of %(segment)s", segment=self.name),
            "res_model": "res.partner",
            "view_mode": "list,form",
            "domain": [("optical_segment_filter", "=", self.id)],
            "context": {"create": False},
        }

    def action_optical_new_campaign(self):
        """A new draft campaign on the segment, in its form (not saved yet)."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("New campaign"),
            "res_model": "optical.campaign",
            "views": [(False, "form")],
            "target": "current",
            "context": {"default_segment_id": self.id},
        }

    @api.model
    def _optical_for_partners(self, partners, domain=None):
        """A segment of the current shop holding ``partners``, or the customers of
        ``domain`` (a ``res.partner`` domain, kept live) when given; an existing
        segment with the same conditions and no other criterion is reused."""
        if domain is not None:
            conditions = repr(expression.normalize_domain(list(domain)))
            count = self.env["res.partner"].search_count(domain)
        else:
            conditions = repr([("id", "in", sorted(partners.ids))])
            count = len(partners)
        if not count:
            raise UserError(self.env._("Select at least one customer."))
        reusable = self.search(
            [("company_id", "=", self.env.company.id), ("domain", "=", conditions)]
        ).filtered(
            lambda s: not any(
                s[fname] for fname in CRITERIA if fname not in SELECTION_NEUTRAL
            )
        )
        if reusable:
            return reusable[0]
        today = format_date(self.env, fields.Date.context_today(self))
        return self.create(
            {
                "name": self.env._(
                    "%(count)s customers selected on %(date)s", count=count, date=today
                )
                if domain is None
                else self.env._(
                    "Customer list of %(date)s (%(count)s customers)",
                    count=count,
                    date=today,
                ),
                "company_id": self.env.company.id,
                "domain": conditions,
            }
        )
