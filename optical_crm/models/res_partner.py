from datetime import date

from babel.dates import format_date as babel_format_date
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, format_date

from .optical_customer_value import VALUE_SEGMENTS
from .product_template import OPTICAL_CATEGORIES

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

    optical_birthdate = fields.Date(string="Birthdate", index=True)
    optical_age = fields.Integer(string="Age", compute="_compute_optical_age")
    optical_prescription_ids = fields.One2many(
        "optical.prescription",
        "partner_id",
        string="Prescriptions",
        groups="optical_crm.group_optical_optometrist",
    )
    optical_exam_ids = fields.One2many(
        "optical.exam",
        "partner_id",
        string="Eye exams",
        groups="optical_crm.group_optical_optometrist",
    )
    optical_consent_ids = fields.One2many(
        "optical.consent", "partner_id", string="Consents"
    )
    optical_touchpoint_ids = fields.One2many(
        "optical.touchpoint", "partner_id", string="Touchpoints"
    )
    optical_prescription_count = fields.Integer(
        compute="_compute_optical_health_counts",
        groups="optical_crm.group_optical_optometrist",
    )
    optical_exam_count = fields.Integer(
        compute="_compute_optical_health_counts",
        groups="optical_crm.group_optical_optometrist",
    )
    optical_touchpoint_count = fields.Integer(
        compute="_compute_optical_touchpoint_count"
    )
    optical_invoice_count = fields.Integer(
        compute="_compute_optical_invoice_count",
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    # Stored figures, kept current by the events that change them (invoices, exams,
    # prescriptions, imported purchases): see _optical_refresh_profile().
    optical_last_exam_date = fields.Date(
        string="Last eye exam", index=True, readonly=True
    )
    optical_next_exam_date = fields.Date(
        string="Next eye exam (recall)",
        index=True,
        readonly=True,
        help="From the latest eye exam: its recall date.",
    )
    optical_last_prescription_date = fields.Date(
        string="Last prescription", index=True, readonly=True
    )
    optical_last_purchase_date = fields.Date(
        string="Last purchase",
        index=True,
        readonly=True,
        help="Date of the latest customer invoice not fully credited, or of the "
        "latest imported purchase.",
    )
    optical_cl_runout_date = fields.Date(
        string="Contact lenses run out",
        index=True,
        readonly=True,
        help="Latest contact lens purchase date + packs x lenses per pack x "
        "replacement days / 2 (two eyes).",
    )
    optical_ltv = fields.Float(
        string="Lifetime value",
        digits="Account",
        readonly=True,
        help="Posted customer invoices less credit notes, without taxes, in company "
        "currency, plus imported purchases.",
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
        string="First name (messages)", compute="_compute_optical_first_name"
    )
    optical_shop_name = fields.Char(
        string="Shop name (messages)", compute="_compute_optical_shop_name"
    )
    optical_next_exam_words = fields.Char(
        string="Next eye exam, in words",
        compute="_compute_optical_date_words",
        help="E.g. '15 marzo 2026', in the customer's language.",
    )
    optical_next_exam_month_words = fields.Char(
        string="Next eye exam month, in words",
        compute="_compute_optical_date_words",
        help="E.g. 'marzo 2026', in the customer's language.",
    )
    optical_cl_runout_words = fields.Char(
        string="Contact lenses run out, in words",
        compute="_compute_optical_date_words",
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
    def _compute_optical_date_words(self):
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
    )
    optical_purchase_filter = fields.Char(
        string="Bought (category:months)",
        compute="_compute_optical_search_only",
        search="_search_optical_purchase_filter",
        help="Search only: '<optical category>:<months>' (0 months: ever); "
        "'=' bought, '!=' not bought.",
    )
    optical_prescription_age_filter = fields.Integer(
        string="Latest prescription age (months)",
        compute="_compute_optical_search_only",
        search="_search_optical_prescription_age_filter",
        help="Search only, with '>=': the latest prescription is at least this many "
        "months old.",
    )
    optical_customer_of = fields.Integer(
        string="Customer of shop",
        compute="_compute_optical_search_only",
        search="_search_optical_customer_of",
        help="Search only: id of a shop (company) the customer belongs to or "
        "bought from.",
    )
    optical_consent_filter = fields.Char(
        string="Marketing consent for",
        compute="_compute_optical_search_only",
        search="_search_optical_consent_filter",
        help="Search only: a channel (sms, email, phone, app) with a granted "
        "marketing consent for the current shop.",
    )
    optical_segment_filter = fields.Integer(
        string="In segment",
        compute="_compute_optical_search_only",
        search="_search_optical_segment_filter",
        help="Search only: id of an optical segment, evaluated now.",
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
    def _optical_search_operator(self, operator, allowed):
        if operator not in allowed:
            raise UserError(
                self.env._(
                    "Operator %(operator)s is not supported on this criterion.",
                    operator=operator,
                )
            )

    def _search_optical_birth_month(self, operator, value):
        self._optical_search_operator(operator, ("=", "in"))
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
        self._optical_search_operator(operator, ("=", "!="))
        category, _sep, months = str(value).partition(":")
        if category not in dict(OPTICAL_CATEGORIES):
            raise UserError(
                self.env._("Unknown optical category: %(value)s", value=category)
            )
        months = int(months or 0)
        since = SQL()
        if months:
            since = SQL(
                "AND m.invoice_date >= %s",
                fields.Date.context_today(self) - relativedelta(months=months),
            )
        self.env["account.move.line"].flush_model(["optical_category", "move_id"])
        self.env["account.move"].flush_model(
            ["partner_id", "move_type", "state", "invoice_date"]
        )
        subquery = SQL(
            """(SELECT m.partner_id FROM account_move_line l
                  JOIN account_move m ON m.id = l.move_id
                 WHERE l.optical_category = %s AND m.move_type = 'out_invoice'
                   AND m.state = 'posted' AND m.partner_id IS NOT NULL %s)""",
            category,
            since,
        )
        return [("id", "in" if operator == "=" else "not in", subquery)]

    def _search_optical_prescription_age_filter(self, operator, value):
        self._optical_search_operator(operator, (">=",))
        cutoff = fields.Date.context_today(self) - relativedelta(months=int(value))
        self.env["optical.prescription"].flush_model(["partner_id", "date"])
        return [
            (
                "id",
                "in",
                SQL(
                    "(SELECT partner_id FROM optical_prescription "
                    "GROUP BY partner_id HAVING MAX(date) <= %s)",
                    cutoff,
                ),
            )
        ]

    def _search_optical_customer_of(self, operator, value):
        self._optical_search_operator(operator, ("=",))
        self.flush_model(["company_id"])
        self.env["account.move"].flush_model(
            ["partner_id", "company_id", "move_type", "state"]
        )
        return [
            (
                "id",
                "in",
                SQL(
                    """(SELECT id FROM res_partner WHERE company_id = %(shop)s
                        UNION
                        SELECT partner_id FROM account_move
                         WHERE company_id = %(shop)s AND partner_id IS NOT NULL
                           AND move_type IN ('out_invoice', 'out_refund')
                           AND state = 'posted')""",
                    shop=int(value),
                ),
            )
        ]

    def _search_optical_consent_filter(self, operator, value):
        self._optical_search_operator(operator, ("=",))
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
        self._optical_search_operator(operator, ("=",))
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
        return segment._optical_domain()

    # ------------------------------------------------------------ customer value
    optical_value_ids = fields.One2many(
        "optical.customer.value",
        "partner_id",
        string="Value per shop",
        groups="optical_crm.group_optical_user",
    )
    optical_value_id = fields.Many2one(
        "optical.customer.value",
        string="Value in this shop",
        compute="_compute_optical_value",
        groups="optical_crm.group_optical_user",
    )
    optical_value_ltv = fields.Monetary(
        string="Lifetime value (shop)",
        compute="_compute_optical_value",
        currency_field="optical_value_currency_id",
        groups="optical_crm.group_optical_user",
    )
    optical_value_currency_id = fields.Many2one(
        "res.currency",
        string="Shop currency",
        compute="_compute_optical_value",
        groups="optical_crm.group_optical_user",
    )
    optical_value_segment = fields.Selection(
        VALUE_SEGMENTS,
        string="Value segment",
        compute="_compute_optical_value",
        groups="optical_crm.group_optical_user",
    )
    optical_audience = fields.Char(
        string="Customer list",
        compute="_compute_optical_audience",
        search="_search_optical_audience",
        help="Search only: [('optical_audience', '=', 'lapsed')] finds the "
        "customers of a list of the value dashboard (see optical.value.dashboard).",
    )

    @api.depends_context("company")
    def _compute_optical_value(self):
        """The customer's value row in the current shop (the commercial entity's)."""
        values = self.env["optical.customer.value"].search(
            [
                ("partner_id", "in", self.commercial_partner_id.ids),
                ("company_id", "=", self.env.company.id),
            ]
        )
        by_partner = {value.partner_id.id: value for value in values}
        for partner in self:
            value = by_partner.get(partner.commercial_partner_id.id)
            partner.optical_value_id = value
            partner.optical_value_ltv = value.ltv if value else 0.0
            partner.optical_value_currency_id = (
                value.currency_id if value else self.env.company.currency_id
            )
            partner.optical_value_segment = value.segment if value else False

    def _compute_optical_audience(self):
        self.optical_audience = False

    def _search_optical_audience(self, operator, value):
        if operator not in ("=", "!=", "in", "not in"):
            raise UserError(
                self.env._(
                    "Customer lists can only be searched with =, !=, in or not in."
                )
            )
        self.env["optical.customer.value"].check_access("read")
        keys = [value] if isinstance(value, str) else list(value or [])
        if not keys:
            return [("id", "in" if operator in ("=", "in") else "not in", [])]
        dashboard = self.env["optical.value.dashboard"]
        self.env["optical.customer.value"].flush_model()
        self.env["account.move"].flush_model()
        self.flush_model(["optical_next_exam_date", "optical_cl_runout_date"])
        query = SQL(" UNION ").join(
            SQL("(%s)", dashboard._optical_audience_sql(key)) for key in keys
        )
        return [
            ("id", "in" if operator in ("=", "in") else "not in", SQL("(%s)", query))
        ]

    def action_optical_start_campaign(self):
        """ "Start a campaign" of the contact list: a segment holding the selected
        customers (the list's whole filter when everything is selected) and a new
        draft campaign on it."""
        context = self.env.context
        domain = context.get("active_domain")
        limit = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("web.active_ids_limit", default="20000")
        )
        if (
            domain is not None
            and self
            and (len(self) >= limit or self.search_count(domain) == len(self))
        ):
            segment = self.env["optical.segment"]._optical_for_partners(self, domain)
        else:
            segment = self.env["optical.segment"]._optical_for_partners(self)
        return segment.action_optical_new_campaign()

    def action_optical_timeline(self):
        return self.env["optical.customer.timeline"]._optical_action_for(self)

    def action_optical_value(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Value of %(customer)s", customer=self.display_name),
            "res_model": "optical.customer.value",
            "view_mode": "list,form",
            "domain": [("partner_id", "=", self.commercial_partner_id.id)],
            "context": {"create": False},
        }

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
                    ("move_type", "in", ("out_invoice", "out_refund")),
                    ("state", "=", "posted"),
                ],
                ["partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.optical_invoice_count = counts.get(partner, 0)

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
            ("move_type", "in", ("out_invoice", "out_refund")),
        ]
        action["context"] = {
            "default_move_type": "out_invoice",
            "default_partner_id": self.id,
        }
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

    # ------------------------------------------------------------------
    # Optical profile: the one place where its figures are computed
    # ------------------------------------------------------------------
    @api.model
    def _optical_profile_fields(self):
        """Stored partner fields written by _optical_refresh_profile()."""
        return [
            field
            for _ctes, expressions in self._optical_profile_parts().values()
            for field in expressions
        ]

    @api.model
    def _optical_partner_filter(self, column, partner_ids):
        """``AND <column> = ANY(ids)`` when refreshing some partners, else nothing."""
        if partner_ids is None:
            return SQL()
        return SQL("AND %s = ANY(%s)", column, list(partner_ids))

    @api.model
    def _optical_profile_parts(self, partner_ids=None):
        """The parts of the stored profile, each refreshed by the events that
        change it: an invoice changes "purchases" (and "contact_lenses" when it
        has contact lenses), an exam "exams", a prescription "prescriptions",
        a contact-lens product "contact_lenses".

        :return: ``{part: (ctes, {field: expression})}``. ``ctes`` is a list of
            ``(name, SQL)``, ending with a relation named after the part, one
            row per partner refreshed (a CTE that several parts use, such as
            ``moves``, is given by each and defined once). The expressions
            compute each stored field from it (a partner without a row gets
            NULL, or 0 for the lifetime value).
        """
        legacy_filter = self._optical_partner_filter(SQL("t.partner_id"), partner_ids)
        # posted customer invoices and credit notes; a credit note counts as part
        # of the invoice it reverses (doc) and on that invoice's date
        moves = (
            "moves",
            SQL(
                """
                SELECT m.id, m.partner_id, m.move_type,
                       COALESCE(m.reversed_entry_id, m.id) AS doc,
                       COALESCE(o.invoice_date, m.invoice_date) AS purchase_date,
                       m.amount_untaxed_signed AS amount
                  FROM account_move m
                  LEFT JOIN account_move o ON o.id = m.reversed_entry_id
                 WHERE m.state = 'posted'
                   AND m.move_type IN ('out_invoice', 'out_refund')
                   AND m.partner_id IS NOT NULL
                   %(filter)s
                """,
                filter=self._optical_partner_filter(SQL("m.partner_id"), partner_ids),
            ),
        )
        return {
            "purchases": (
                [
                    moves,
                    # one row per purchase: an invoice with its credit notes (a
                    # fully credited invoice weighs nothing), a credit note
                    # without origin, or a purchase imported from another system
                    # (a touchpoint of kind purchase without Odoo document)
                    (
                        "docs",
                        SQL(
                            """
                SELECT partner_id, MAX(purchase_date) AS purchase_date,
                       SUM(amount) AS amount,
                       BOOL_OR(move_type = 'out_invoice') AND SUM(amount) > 0
                           AS counts
                  FROM moves
                 GROUP BY partner_id, doc
                UNION ALL
                SELECT t.partner_id, t.datetime::date, t.amount, t.amount >= 0
                  FROM optical_touchpoint t
                 WHERE t.kind = 'purchase' AND t.res_model IS NULL %(filter)s
                            """,
                            filter=legacy_filter,
                        ),
                    ),
                    (
                        "purchases",
                        SQL(
                            """
                SELECT partner_id,
                       SUM(amount) AS ltv,
                       MAX(purchase_date) FILTER (WHERE counts) AS last_purchase
                  FROM docs GROUP BY partner_id
                            """
                        ),
                    ),
                ],
                {
                    "optical_ltv": SQL("COALESCE(purchases.ltv, 0)"),
                    "optical_last_purchase_date": SQL("purchases.last_purchase"),
                },
            ),
            "contact_lenses": (
                [
                    moves,
                    # lens days bought per day of purchase (credit notes negative)
                    (
                        "cl_days",
                        SQL(
                            """
                SELECT b.partner_id, b.purchase_date,
                       SUM(b.quantity) AS packs,
                       SUM(b.quantity * t.optical_cl_lenses_per_pack
                           * t.optical_cl_replacement_days) AS lens_days
                  FROM (
                    SELECT mv.partner_id, mv.purchase_date, pp.product_tmpl_id,
                           CASE WHEN mv.move_type = 'out_refund'
                                THEN -l.quantity ELSE l.quantity END AS quantity
                      FROM moves mv
                      JOIN account_move_line l
                        ON l.move_id = mv.id AND l.display_type = 'product'
                       AND l.optical_category = 'contact_lens'
                      JOIN product_product pp ON pp.id = l.product_id
                    UNION ALL
                    SELECT t.partner_id, t.datetime::date, pp.product_tmpl_id,
                           t.quantity
                      FROM optical_touchpoint t
                      JOIN product_product pp ON pp.id = t.product_id
                     WHERE t.kind = 'purchase' AND t.res_model IS NULL
                       AND t.optical_category = 'contact_lens' %(filter)s
                  ) b
                  JOIN product_template t ON t.id = b.product_tmpl_id
                 GROUP BY b.partner_id, b.purchase_date
                            """,
                            filter=legacy_filter,
                        ),
                    ),
                    (
                        "contact_lenses",
                        SQL(
                            """
                SELECT DISTINCT ON (partner_id)
                       partner_id,
                       purchase_date + FLOOR(lens_days / 2)::int AS runout
                  FROM cl_days
                 WHERE packs > 0 AND lens_days > 0
                 ORDER BY partner_id, purchase_date DESC
                            """
                        ),
                    ),
                ],
                {"optical_cl_runout_date": SQL("contact_lenses.runout")},
            ),
            "exams": (
                [
                    (
                        "exams",
                        SQL(
                            """
                SELECT DISTINCT ON (partner_id)
                       partner_id, date AS last_exam, next_exam_date AS next_exam
                  FROM optical_exam e
                 WHERE TRUE %(filter)s
                 ORDER BY partner_id, date DESC, id DESC
                            """,
                            filter=self._optical_partner_filter(
                                SQL("e.partner_id"), partner_ids
                            ),
                        ),
                    )
                ],
                {
                    "optical_last_exam_date": SQL("exams.last_exam"),
                    "optical_next_exam_date": SQL("exams.next_exam"),
                },
            ),
            "prescriptions": (
                [
                    (
                        "prescriptions",
                        SQL(
                            """
                SELECT partner_id, MAX(date) AS last_rx
                  FROM optical_prescription r
                 WHERE TRUE %(filter)s
                 GROUP BY partner_id
                            """,
                            filter=self._optical_partner_filter(
                                SQL("r.partner_id"), partner_ids
                            ),
                        ),
                    )
                ],
                {"optical_last_prescription_date": SQL("prescriptions.last_rx")},
            ),
        }

    @api.model
    def _optical_profile_queries(self, partner_ids=None, parts=None):
        """The SQL statements that bring the stored profile up to date.

        Set-based: ``partner_ids=None`` refreshes every partner in one pass;
        ``parts`` (names of ``_optical_profile_parts``, default all) limits the
        figures computed. Only rows whose figures change are written. Extend by
        appending queries. The CTEs are MATERIALIZED so that each is planned on
        its own: for the one customer of a posted invoice, planning the query
        costs more than running it.
        """
        chosen = self._optical_profile_parts(partner_ids)
        if parts is not None:
            chosen = {name: chosen[name] for name in parts}
        ctes = {}
        columns = {}
        for part_ctes, expressions in chosen.values():
            for name, body in part_ctes:
                ctes.setdefault(name, body)
            columns.update(expressions)
        return [
            SQL(
                """
            WITH %(ctes)s,
            profile AS MATERIALIZED (
                SELECT p.id, %(select)s
                  FROM res_partner p
                  %(joins)s
                 WHERE TRUE %(filter)s
            )
            UPDATE res_partner p
               SET %(set)s
              FROM profile
             WHERE p.id = profile.id
               AND (%(changed)s)
                """,
                ctes=SQL(", ").join(
                    SQL("%s AS MATERIALIZED (%s)", SQL.identifier(name), body)
                    for name, body in ctes.items()
                ),
                select=SQL(", ").join(
                    SQL("%s AS %s", expression, SQL.identifier(field))
                    for field, expression in columns.items()
                ),
                joins=SQL(" ").join(
                    SQL(
                        "LEFT JOIN %s ON %s = p.id",
                        SQL.identifier(name),
                        SQL.identifier(name, "partner_id"),
                    )
                    for name in chosen
                ),
                filter=self._optical_partner_filter(SQL("p.id"), partner_ids),
                set=SQL(", ").join(
                    SQL(
                        "%s = %s",
                        SQL.identifier(field),
                        SQL.identifier("profile", field),
                    )
                    for field in columns
                ),
                changed=SQL(" OR ").join(
                    SQL(
                        "%s IS DISTINCT FROM %s",
                        SQL.identifier("p", field),
                        SQL.identifier("profile", field),
                    )
                    for field in columns
                ),
            )
        ]

    @api.model
    def _optical_refresh_profile(self, partner_ids=None, parts=None):
        """Recompute the stored optical profile of some partners, or of all.

        :param partner_ids: ids to refresh, or None for every partner (one
            set-based pass, used at install, by the benchmark and by repairs).
        :param parts: the parts of the profile to refresh (see
            ``_optical_profile_parts``), default all of them.
        Called by invoice posting/reset/cancel, exam and prescription changes,
        imports and product changes, for the partners and parts concerned only.
        """
        if partner_ids is not None:
            partner_ids = sorted({pid for pid in partner_ids if pid})
            if not partner_ids:
                return
        for model in (
            "account.move",
            "account.move.line",
            "optical.exam",
            "optical.prescription",
            "optical.touchpoint",
            "product.template",
            "res.partner",
        ):
            self.env[model].flush_model()
        for query in self._optical_profile_queries(partner_ids, parts):
            self.env.cr.execute(query)
        self.env["res.partner"].invalidate_model(self._optical_profile_fields())

    @api.model
    def _optical_refresh_profile_for_products(self, product_ids):
        """Refresh the partners who bought these products (their data changed)."""
        if not product_ids:
            return
        self.env["account.move.line"].flush_model(["product_id", "partner_id"])
        self.env["optical.touchpoint"].flush_model(["product_id", "partner_id"])
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT m.partner_id
                  FROM account_move_line l
                  JOIN account_move m ON m.id = l.move_id
                 WHERE l.product_id = ANY(%(ids)s) AND m.partner_id IS NOT NULL
                   AND m.state = 'posted'
                 UNION
                SELECT partner_id FROM optical_touchpoint
                 WHERE product_id = ANY(%(ids)s)
                """,
                ids=list(product_ids),
            )
        )
        partner_ids = [row[0] for row in self.env.cr.fetchall()]
        self._optical_refresh_profile(partner_ids, parts=["contact_lenses"])

    @api.model
    def _optical_demo_load(self):
        """Demo data of an Italian shop (called once from demo/optical_demo.xml)."""
        from ..demo.optical_demo import generate

        generate(self.env)
