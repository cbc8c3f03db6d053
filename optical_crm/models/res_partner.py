from datetime import date

from babel.dates import format_date as babel_format_date
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models, tools
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, format_date

from .account_move import SALE_TYPES as SALE_MOVE_TYPES
from .optical_health_mixin import health_data_is_locked
from .product_template import OPTICAL_CATEGORIES
from .res_partner_profile import OPTICAL_USER, OPTOMETRIST

# Placeholders a campaign message may use as ``{{ object.<field> }}``: simple field
# paths, rendered without code evaluation, allowed to every user writing content.
OPTICAL_PLACEHOLDER_FIELDS = (
    "optical_first_name",
    "optical_shop_name",
    "optical_next_exam_words",
    "optical_next_exam_month_words",
    "optical_cl_runout_words",
)


class ResPartner(models.Model):
    _inherit = "res.partner"

    # indexed: partners are matched on them by imports and the touchpoint API
    email_normalized = fields.Char(index="btree_not_null")
    phone_sanitized = fields.Char(index="btree_not_null")

    # Every optical_* field is for the Optical CRM groups (optometrists for what
    # tells about the eyes): test_partner_field_isolation walks them all.
    optical_birthdate = fields.Date(string="Birthdate", index=True, groups=OPTICAL_USER)
    optical_age = fields.Integer(
        string="Age", compute="_compute_optical_age", groups=OPTICAL_USER
    )
    optical_prescription_ids = fields.One2many(
        "optical.prescription",
        "partner_id",
        string="Prescriptions",
        groups=OPTOMETRIST,
    )
    optical_exam_ids = fields.One2many(
        "optical.exam",
        "partner_id",
        string="Eye exams",
        groups=OPTOMETRIST,
    )
    optical_consent_ids = fields.One2many(
        "optical.consent", "partner_id", string="Consents", groups=OPTICAL_USER
    )
    optical_touchpoint_ids = fields.One2many(
        "optical.touchpoint", "partner_id", string="Touchpoints", groups=OPTICAL_USER
    )
    optical_prescription_count = fields.Integer(
        compute="_compute_optical_health_counts",
        groups=OPTOMETRIST,
    )
    optical_exam_count = fields.Integer(
        compute="_compute_optical_health_counts",
        groups=OPTOMETRIST,
    )
    optical_touchpoint_count = fields.Integer(
        compute="_compute_optical_touchpoint_count", groups=OPTICAL_USER
    )
    optical_invoice_count = fields.Integer(
        compute="_compute_optical_invoice_count",
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    optical_sale_count = fields.Integer(
        string="Purchases",
        compute="_compute_optical_sale_count",
        groups=OPTICAL_USER,
        help="Sale documents of the customer in the current shops: invoices, "
        "sales receipts, point of sale orders, imported purchases and purchases "
        "from other systems, refunds included.",
    )

    # ------------------------------------------------------------------ consent
    def _optical_contact_allowed(self, channel, purpose="marketing", company=None):
        """Whether this customer may be contacted on ``channel`` for ``purpose``.

        The latest consent row decides (marketing needs a granted one, service is
        allowed unless revoked); a valid address for the channel (a mobile number
        in E.164 for SMS) and Odoo's email and phone blacklists are honoured.

        :return: ``(allowed, reason)``, reason being a code of
            ``optical_contact_policy.EXCLUSION_REASONS`` or ``""``
        """
        self.ensure_one()
        reason = self.env["optical.contact.policy"]._optical_screen(
            self, channel, purpose, company=company, cap=False
        )[self.id]
        return not reason, reason or ""

    def _optical_record_consent(
        self, channel, purpose, granted, source, note=None, company=None
    ):
        """Append a consent row for each partner (the ledger is never edited)."""
        company = company if company is not None else self.env.company
        return (
            self.env["optical.consent"]
            .sudo()
            .create(
                [
                    {
                        "partner_id": partner.id,
                        "channel": channel,
                        "purpose": purpose,
                        "granted": granted,
                        "source": source,
                        "note": note,
                        "company_id": company.id or False,
                        "user_id": self.env.uid,
                    }
                    for partner in self
                ]
            )
        )

    @api.model
    def _optical_record_unsubscribe(self, domain, channels, company=None, note=None):
        """A public opt-out revokes marketing consent in the ledger of the customers
        matching ``domain``: for the sending shop ``company``, or for every shop
        when it is empty (Odoo's blacklists, "every shop" on our pages)."""
        company = company or self.env["res.company"]
        partners = self.sudo().with_context(active_test=False).search(domain)
        if note is None:
            note = (
                self.env._("Opted out of the messages of %(shop)s", shop=company.name)
                if company
                else self.env._("Opted out (blacklisted)")
            )
        for channel in channels:
            partners._optical_record_consent(
                channel, "marketing", False, "unsubscribe", note=note, company=company
            )
        return partners

    # ------------------------------------------------------------------ placeholders
    # Message placeholders: ``{{ object.optical_first_name }}`` and friends in SMS
    # and email content. Computed in batch for the whole audience being rendered.
    optical_first_name = fields.Char(
        string="First name (messages)",
        compute="_compute_optical_first_name",
        groups=OPTICAL_USER,
    )
    optical_shop_name = fields.Char(
        string="Shop name (messages)",
        compute="_compute_optical_shop_name",
        groups=OPTICAL_USER,
    )
    optical_next_exam_words = fields.Char(
        string="Next eye exam, in words",
        compute="_compute_optical_date_words",
        help="E.g. '15 marzo 2026', in the customer's language.",
        groups=OPTICAL_USER,
    )
    optical_next_exam_month_words = fields.Char(
        string="Next eye exam month, in words",
        compute="_compute_optical_date_words",
        help="E.g. 'marzo 2026', in the customer's language.",
        groups=OPTICAL_USER,
    )
    optical_cl_runout_words = fields.Char(
        string="Contact lenses run out, in words",
        compute="_compute_optical_date_words",
        groups=OPTICAL_USER,
    )

    @api.depends("name", "is_company")
    def _compute_optical_first_name(self):
        for partner in self:
            name = (partner.name or "").strip()
            partner.optical_first_name = (
                name if partner.is_company else (name.split() or [""])[0]
            )

    @api.depends_context("company")
    def _compute_optical_shop_name(self):
        # the shop sending the message: campaigns render with their company
        self.optical_shop_name = self.env.company.name

    @api.depends("optical_next_exam_date", "optical_cl_runout_date", "lang")
    @api.depends_context("company")
    def _compute_optical_date_words(self):
        # the figures of the current shop: campaigns and cycles render with theirs
        for partner in self:
            locale = partner._optical_locale()
            partner.optical_next_exam_words = partner._optical_date_words(
                partner.optical_next_exam_date, locale=locale
            )
            partner.optical_next_exam_month_words = partner._optical_date_words(
                partner.optical_next_exam_date, "MMMM yyyy", locale=locale
            )
            partner.optical_cl_runout_words = partner._optical_date_words(
                partner.optical_cl_runout_date, locale=locale
            )

    def _optical_locale(self):
        """Language of the customer's messages (Italian when unknown)."""
        return (self[:1].lang or "it_IT").replace("@", "_")

    @api.model
    def _optical_date_words(self, value, date_format="d MMMM yyyy", locale=None):
        """A date written in words (``15 marzo 2026``), for messages."""
        if not value:
            return ""
        return babel_format_date(value, format=date_format, locale=locale or "it_IT")

    @api.model
    def mail_allowed_qweb_expressions(self):
        return super().mail_allowed_qweb_expressions() + tuple(
            f"object.{fname}" for fname in OPTICAL_PLACEHOLDER_FIELDS
        )

    # ------------------------------------------------------------------ segments
    # Search-only criteria whose conditions live in other tables: each returns
    # ``[("id", "in", <SQL subquery>)]`` so that a segment stays one SQL count.
    optical_birth_month = fields.Integer(
        string="Birthday month",
        compute="_compute_optical_birth_month",
        search="_search_optical_birth_month",
        groups=OPTICAL_USER,
    )
    optical_purchase_filter = fields.Char(
        string="Bought (category:months)",
        compute="_compute_optical_search_only",
        search="_search_optical_purchase_filter",
        help="Search only: '<optical category>:<months>' (0 months: ever); "
        "'=' bought in the current shop, '!=' not bought there.",
        groups=OPTICAL_USER,
    )
    optical_prescription_age_filter = fields.Integer(
        string="Latest prescription age (months)",
        compute="_compute_optical_search_only",
        search="_search_optical_prescription_age_filter",
        help="Search only, with '>=': the latest prescription written in the "
        "current shop is at least this many months old.",
        groups=OPTOMETRIST,
    )
    optical_customer_of = fields.Integer(
        string="Customer of shop",
        compute="_compute_optical_search_only",
        search="_search_optical_customer_of",
        help="Search only: id of a shop (company) the customer belongs to or "
        "bought from.",
        groups=OPTICAL_USER,
    )
    optical_consent_filter = fields.Char(
        string="Marketing consent for",
        compute="_compute_optical_search_only",
        search="_search_optical_consent_filter",
        help="Search only: a channel (sms, email, phone, app) with a granted "
        "marketing consent for the current shop.",
        groups=OPTICAL_USER,
    )
    optical_segment_filter = fields.Integer(
        string="In segment",
        compute="_compute_optical_search_only",
        search="_search_optical_segment_filter",
        help="Search only: id of an optical segment, evaluated now.",
        groups=OPTICAL_USER,
    )

    @api.depends("optical_birthdate")
    def _compute_optical_birth_month(self):
        for partner in self:
            partner.optical_birth_month = (
                partner.optical_birthdate.month if partner.optical_birthdate else 0
            )

    def _compute_optical_search_only(self):
        self.optical_purchase_filter = False
        self.optical_prescription_age_filter = 0
        self.optical_customer_of = 0
        self.optical_consent_filter = False
        self.optical_segment_filter = 0

    @api.model
    def _optical_search_guard(self, fname, operator, allowed):
        """Checks shared by the search methods of the optical criteria.

        The criterion ``fname`` is searched only by the groups that may read it
        (its ``groups``; AccessError, as for any field the user may not read).
        Odoo checks the groups of stored fields only; ``_optical_guard_domain``
        checks the criteria of a search, but a segment expands into criteria
        evaluated within the same search, so each method checks its own. The
        figures searched are the current shop's (``env.company``).
        """
        self.check_field_access_rights("read", [fname])
        if operator not in allowed:
            raise UserError(
                self.env._(
                    "Operator %(operator)s is not supported on this criterion.",
                    operator=operator,
                )
            )

    @api.model
    @tools.ormcache()
    def _optical_guarded_fields(self):
        """The optical fields restricted to some groups (all of them: see
        test_partner_field_isolation)."""
        return frozenset(
            name
            for name, field in self._fields.items()
            if name.startswith("optical_") and field.groups
        )

    @api.model
    @tools.ormcache()
    def _optical_health_field_names(self):
        """The partner's fields about exams and prescriptions (optometrists only)."""
        return frozenset(
            name
            for name, field in self._fields.items()
            if OPTOMETRIST in (field.groups or "").split(",")
        )

    def _optical_check_health_fields(self, fnames):
        """While a message is rendered (``health_data_locked``), the partner's
        health fields cannot be read or searched, even by the superuser the
        mailing cron runs as: a template reaches the partner, not its groups."""
        if health_data_is_locked() and self._optical_health_field_names() & set(fnames):
            raise AccessError(
                self.env._(
                    "Prescriptions and eye exams are health data: they never go "
                    "into an SMS, an email or a public page. Remove them from the "
                    "message."
                )
            )

    def _fetch_field(self, field):
        self._optical_check_health_fields([field.name])
        return super()._fetch_field(field)

    def fetch(self, field_names):
        if health_data_is_locked():
            # prefetching another field must not load them into the cache
            field_names = [
                fname
                for fname in field_names
                if fname not in self._optical_health_field_names()
            ]
        return super().fetch(field_names)

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None):
        if health_data_is_locked() and isinstance(domain, list | tuple):
            self._optical_check_health_fields(
                leaf[0].split(".", 1)[0]
                for leaf in domain
                if isinstance(leaf, list | tuple) and isinstance(leaf[0], str)
            )
        return super()._search(
            self._optical_guard_domain(domain), offset=offset, limit=limit, order=order
        )

    @api.model
    def _optical_guard_domain(self, domain):
        """A domain on optical fields, searched only by the groups that may read
        them, through the record rules of the rows they lead to.

        Odoo checks the groups of the stored fields of a domain, not of the
        fields searched by a method or of one2many fields, whose ``= False`` and
        id conditions also skip the record rules of the lines: without this, a
        search would tell who had an eye exam in another shop. Those conditions
        become ``any``/``not any``, which apply them.
        """
        if self.env.su or not isinstance(domain, list | tuple):
            return domain
        guarded = self._optical_guarded_fields()
        result = []
        for leaf in domain:
            if (
                isinstance(leaf, list | tuple)
                and len(leaf) == 3
                and isinstance(leaf[0], str)
                and leaf[0].split(".", 1)[0] in guarded
            ):
                self.check_field_access_rights("read", [leaf[0].split(".", 1)[0]])
                leaf = self._optical_x2many_leaf(*leaf)
            result.append(leaf)
        return result

    @api.model
    def _optical_x2many_leaf(self, fname, operator, value):
        field = self._fields.get(fname)
        if not field or field.type not in ("one2many", "many2many"):
            return (fname, operator, value)
        if value is False and operator in ("=", "!="):
            return (fname, "any" if operator == "!=" else "not any", [])
        if operator in ("=", "!=", "in", "not in") and isinstance(
            value, int | list | tuple
        ):
            ids = list(value) if isinstance(value, list | tuple) else [value]
            positive = operator in ("=", "in")
            return (fname, "any" if positive else "not any", [("id", "in", ids)])
        return (fname, operator, value)

    def _search_optical_birth_month(self, operator, value):
        self._optical_search_guard("optical_birth_month", operator, ("=", "in"))
        months = [
            int(m) for m in (value if isinstance(value, list | tuple) else [value])
        ]
        self.flush_model(["optical_birthdate"])
        return [
            (
                "id",
                "in",
                SQL(
                    "(SELECT id FROM res_partner WHERE optical_birthdate IS NOT NULL "
                    "AND EXTRACT(MONTH FROM optical_birthdate)::int = ANY(%s))",
                    months,
                ),
            )
        ]

    def _search_optical_purchase_filter(self, operator, value):
        self._optical_search_guard("optical_purchase_filter", operator, ("=", "!="))
        category, _sep, months = str(value).partition(":")
        if category not in dict(OPTICAL_CATEGORIES):
            raise UserError(
                self.env._("Unknown optical category: %(value)s", value=category)
            )
        months = int(months or 0)
        since = SQL()
        if months:
            since = SQL(
                "AND l.sale_date >= %s",
                fields.Date.context_today(self) - relativedelta(months=months),
            )
        # the purchases (sales not wholly refunded, of any kind: invoice, receipt,
        # point of sale, imported...) with a line of the category
        Ledger = self.env["optical.sale.line"]
        Ledger.flush_model()
        company_id = self.env.company.id
        sales = Ledger._optical_sales_sql(
            [company_id],
            where=SQL(
                """s.origin_key IN (
                    SELECT l.origin_key FROM optical_sale_line l
                     WHERE l.company_id = %s AND l.optical_category = %s
                       AND NOT l.is_refund %s)""",
                company_id,
                category,
                since,
            ),
        )
        subquery = SQL(
            "(SELECT sa.partner_id FROM (%s) sa WHERE sa.is_purchase)", sales
        )
        return [("id", "in" if operator == "=" else "not in", subquery)]

    def _search_optical_prescription_age_filter(self, operator, value):
        self._optical_search_guard("optical_prescription_age_filter", operator, (">=",))
        cutoff = fields.Date.context_today(self) - relativedelta(months=int(value))
        self.env["optical.prescription"].flush_model(
            ["partner_id", "date", "company_id"]
        )
        return [
            (
                "id",
                "in",
                SQL(
                    "(SELECT partner_id FROM optical_prescription "
                    "WHERE company_id = %s GROUP BY partner_id HAVING MAX(date) <= %s)",
                    self.env.company.id,
                    cutoff,
                ),
            )
        ]

    def _search_optical_customer_of(self, operator, value):
        self._optical_search_guard("optical_customer_of", operator, ("=",))
        shop = int(value)
        if not self.env.su and shop not in self.env.companies.ids:
            raise AccessError(
                self.env._("You have no access to the customers of this shop.")
            )
        self.flush_model(["company_id"])
        self.env["optical.sale.line"].flush_model(["partner_id", "company_id"])
        return [
            (
                "id",
                "in",
                SQL(
                    """(SELECT id FROM res_partner WHERE company_id = %(shop)s
                        UNION
                        SELECT partner_id FROM optical_sale_line
                         WHERE company_id = %(shop)s)""",
                    shop=shop,
                ),
            )
        ]

    def _search_optical_consent_filter(self, operator, value):
        self._optical_search_guard("optical_consent_filter", operator, ("=",))
        self.env["optical.consent"].flush_model()
        return [
            (
                "id",
                "in",
                SQL(
                    # granted rows with no later row (anti-join on the ledger's
                    # index), faster than sorting the whole ledger
                    """(SELECT c.partner_id FROM optical_consent c
                         WHERE c.channel = %(channel)s AND c.purpose = 'marketing'
                           AND (c.company_id IS NULL OR c.company_id = %(company)s)
                           AND c.granted
                           AND NOT EXISTS (
                               SELECT 1 FROM optical_consent n
                                WHERE n.partner_id = c.partner_id
                                  AND n.channel = c.channel
                                  AND n.purpose = 'marketing'
                                  AND (n.company_id IS NULL
                                       OR n.company_id = %(company)s)
                                  AND (n.date > c.date
                                       OR (n.date = c.date AND n.id > c.id))))""",
                    channel=value,
                    company=self.env.company.id,
                ),
            )
        ]

    def _search_optical_segment_filter(self, operator, value):
        self._optical_search_guard("optical_segment_filter", operator, ("=",))
        depth = self.env.context.get("optical_segment_depth", 0)
        if depth > 3:
            raise UserError(self.env._("Segments refer to each other in a loop."))
        segment = (
            self.env["optical.segment"]
            .with_context(optical_segment_depth=depth + 1, active_test=False)
            .browse(int(value))
            .exists()
        )
        if not segment:
            return [("id", "=", False)]
        segment.check_access("read")  # a segment of another shop says nothing
        return segment._optical_domain()

    # ------------------------------------------------------------------
    # Computes and checks
    # ------------------------------------------------------------------
    @api.depends("optical_birthdate")
    def _compute_optical_age(self):
        today = fields.Date.context_today(self)
        for partner in self:
            birth = partner.optical_birthdate
            partner.optical_age = relativedelta(today, birth).years if birth else 0

    def _optical_count(self, model):
        if not self.env[model].has_access("read"):
            return {}
        return dict(
            self.env[model]._read_group(
                [("partner_id", "in", self.ids)], ["partner_id"], ["__count"]
            )
        )

    @api.depends_context("uid", "allowed_company_ids")
    def _compute_optical_health_counts(self):
        prescriptions = self._optical_count("optical.prescription")
        exams = self._optical_count("optical.exam")
        for partner in self:
            partner.optical_prescription_count = prescriptions.get(partner, 0)
            partner.optical_exam_count = exams.get(partner, 0)

    @api.depends_context("uid", "allowed_company_ids")
    def _compute_optical_touchpoint_count(self):
        touchpoints = self._optical_count("optical.touchpoint")
        for partner in self:
            partner.optical_touchpoint_count = touchpoints.get(partner, 0)

    @api.depends_context("uid", "allowed_company_ids")
    def _compute_optical_invoice_count(self):
        counts = dict(
            self.env["account.move"]._read_group(
                [
                    ("partner_id", "in", self.ids),
                    ("move_type", "in", SALE_MOVE_TYPES),
                    ("state", "=", "posted"),
                ],
                ["partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.optical_invoice_count = counts.get(partner, 0)

    @api.depends_context("uid", "allowed_company_ids")
    def _compute_optical_sale_count(self):
        Ledger = self.env["optical.sale.line"]
        counts = {}
        if Ledger.has_access("read"):
            counts = dict(
                Ledger._read_group(
                    [("partner_id", "in", self.commercial_partner_id.ids)],
                    ["partner_id"],
                    ["document_key:count_distinct"],
                )
            )
        for partner in self:
            partner.optical_sale_count = counts.get(partner.commercial_partner_id, 0)

    @api.constrains("optical_birthdate")
    def _check_optical_birthdate(self):
        today = fields.Date.context_today(self)
        for partner in self:
            birth = partner.optical_birthdate
            if birth and not date(1900, 1, 1) <= birth <= today:
                raise ValidationError(
                    self.env._(
                        "The birthdate of %(name)s (%(date)s) must be between "
                        "01/01/1900 and today.",
                        name=partner.display_name,
                        date=format_date(self.env, birth),
                    )
                )

    # ------------------------------------------------------------------
    # Smart buttons
    # ------------------------------------------------------------------
    def _optical_action(self, xmlid, extra_context=None):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {"default_partner_id": self.id, **(extra_context or {})}
        return action

    def action_optical_view_prescriptions(self):
        return self._optical_action("optical_crm.optical_prescription_action")

    def action_optical_view_exams(self):
        return self._optical_action("optical_crm.optical_exam_action")

    def action_optical_view_touchpoints(self):
        return self._optical_action("optical_crm.optical_touchpoint_action")

    def action_optical_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action["domain"] = [
            ("partner_id", "=", self.id),
            ("move_type", "in", SALE_MOVE_TYPES),
        ]
        action["context"] = {
            "default_move_type": "out_invoice",
            "default_partner_id": self.id,
        }
        return action

    def action_optical_view_sales(self):
        """What the customer bought in the current shops, whatever the document
        (the sales ledger: invoices, receipts, point of sale, imported...)."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "optical_crm.optical_sale_line_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"create": False}
        return action

    def action_optical_record_consent(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Record consent"),
            "res_model": "optical.consent.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_partner_ids": self.ids},
        }

    @api.model
    def _optical_demo_load(self):
        """Demo data of an Italian shop (called once from demo/optical_demo.xml)."""
        from ..demo.optical_demo import generate

        generate(self.env)
