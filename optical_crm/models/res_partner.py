from datetime import date

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL, format_date

# Stored figures of the optical profile, all written by _optical_refresh_profile().
PROFILE_FIELDS = [
    "optical_last_exam_date",
    "optical_next_exam_date",
    "optical_last_prescription_date",
    "optical_last_purchase_date",
    "optical_cl_runout_date",
    "optical_ltv",
]


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
        return list(PROFILE_FIELDS)

    @api.model
    def _optical_partner_filter(self, column, partner_ids):
        """``AND <column> = ANY(ids)`` when refreshing some partners, else nothing."""
        if partner_ids is None:
            return SQL()
        return SQL("AND %s = ANY(%s)", column, list(partner_ids))

    @api.model
    def _optical_purchase_docs_sql(self, partner_ids=None):
        """One row per purchase document of a partner.

        A customer invoice together with its credit notes (so a fully credited
        invoice weighs nothing), a credit note without origin, or a purchase
        imported from another system (a touchpoint of kind purchase without Odoo
        document). Columns: partner_id, company_id, purchase_date, amount
        (untaxed, company currency), counts (a purchase for "last purchase").
        """
        return SQL(
            """
            SELECT m.partner_id,
                   MIN(m.company_id) AS company_id,
                   MAX(COALESCE(o.invoice_date, m.invoice_date)) AS purchase_date,
                   SUM(m.amount_untaxed_signed) AS amount,
                   BOOL_OR(m.move_type = 'out_invoice')
                       AND SUM(m.amount_untaxed_signed) > 0 AS counts
              FROM account_move m
              LEFT JOIN account_move o ON o.id = m.reversed_entry_id
             WHERE m.state = 'posted'
               AND m.move_type IN ('out_invoice', 'out_refund')
               AND m.partner_id IS NOT NULL
               %(filter_moves)s
             GROUP BY m.partner_id, COALESCE(m.reversed_entry_id, m.id)
            UNION ALL
            SELECT t.partner_id, t.company_id,
                   t.datetime::date,
                   t.amount, t.amount >= 0
              FROM optical_touchpoint t
             WHERE t.kind = 'purchase' AND t.res_model IS NULL
               %(filter_legacy)s
            """,
            filter_moves=self._optical_partner_filter(SQL("m.partner_id"), partner_ids),
            filter_legacy=self._optical_partner_filter(
                SQL("t.partner_id"), partner_ids
            ),
        )

    @api.model
    def _optical_purchase_lines_sql(self, partner_ids=None, category=None):
        """One row per product bought (signed: credit notes are negative).

        Columns: partner_id, company_id, purchase_date (the invoice date, also for
        the credit notes of an invoice), optical_category, product_tmpl_id,
        quantity, amount (untaxed, company currency).
        """
        cat_moves = cat_legacy = SQL()
        if category:
            cat_moves = SQL("AND l.optical_category = %s", category)
            cat_legacy = SQL("AND t.optical_category = %s", category)
        return SQL(
            """
            SELECT m.partner_id, m.company_id,
                   COALESCE(o.invoice_date, m.invoice_date) AS purchase_date,
                   l.optical_category, pp.product_tmpl_id,
                   CASE WHEN m.move_type = 'out_refund'
                        THEN -l.quantity ELSE l.quantity END AS quantity,
                   -l.balance AS amount
              FROM account_move m
              JOIN account_move_line l
                ON l.move_id = m.id AND l.display_type = 'product'
              LEFT JOIN account_move o ON o.id = m.reversed_entry_id
              LEFT JOIN product_product pp ON pp.id = l.product_id
             WHERE m.state = 'posted'
               AND m.move_type IN ('out_invoice', 'out_refund')
               AND m.partner_id IS NOT NULL
               %(filter_moves)s %(cat_moves)s
            UNION ALL
            SELECT t.partner_id, t.company_id,
                   t.datetime::date,
                   t.optical_category, pp.product_tmpl_id, t.quantity, t.amount
              FROM optical_touchpoint t
              LEFT JOIN product_product pp ON pp.id = t.product_id
             WHERE t.kind = 'purchase' AND t.res_model IS NULL
               %(filter_legacy)s %(cat_legacy)s
            """,
            filter_moves=self._optical_partner_filter(SQL("m.partner_id"), partner_ids),
            filter_legacy=self._optical_partner_filter(
                SQL("t.partner_id"), partner_ids
            ),
            cat_moves=cat_moves,
            cat_legacy=cat_legacy,
        )

    @api.model
    def _optical_profile_queries(self, partner_ids=None):
        """The SQL statements that bring the stored profile up to date.

        Set-based: ``partner_ids=None`` refreshes every partner in one pass.
        Only rows whose figures change are written. Extend by appending queries.
        The CTEs are MATERIALIZED so that each is planned on its own: for the one
        partner of a posted invoice, planning costs more than running the query.
        """
        return [
            SQL(
                """
            WITH docs AS MATERIALIZED (%(docs)s),
            value AS MATERIALIZED (
                SELECT partner_id,
                       SUM(amount) AS ltv,
                       MAX(purchase_date) FILTER (WHERE counts) AS last_purchase
                  FROM docs GROUP BY partner_id
            ),
            cl_days AS MATERIALIZED (
                SELECT b.partner_id, b.purchase_date,
                       SUM(b.quantity) AS packs,
                       SUM(b.quantity * t.optical_cl_lenses_per_pack
                           * t.optical_cl_replacement_days) AS lens_days
                  FROM (%(cl_lines)s) b
                  JOIN product_template t ON t.id = b.product_tmpl_id
                 GROUP BY b.partner_id, b.purchase_date
            ),
            cl AS MATERIALIZED (
                SELECT DISTINCT ON (partner_id)
                       partner_id,
                       purchase_date + FLOOR(lens_days / 2)::int AS runout
                  FROM cl_days
                 WHERE packs > 0 AND lens_days > 0
                 ORDER BY partner_id, purchase_date DESC
            ),
            exams AS MATERIALIZED (
                SELECT DISTINCT ON (partner_id)
                       partner_id, date AS last_exam, next_exam_date AS next_exam
                  FROM optical_exam e
                 WHERE TRUE %(filter_exams)s
                 ORDER BY partner_id, date DESC, id DESC
            ),
            rx AS MATERIALIZED (
                SELECT partner_id, MAX(date) AS last_rx
                  FROM optical_prescription r
                 WHERE TRUE %(filter_rx)s
                 GROUP BY partner_id
            ),
            profile AS MATERIALIZED (
                SELECT p.id,
                       COALESCE(value.ltv, 0) AS ltv,
                       value.last_purchase,
                       cl.runout,
                       exams.last_exam,
                       exams.next_exam,
                       rx.last_rx
                  FROM res_partner p
                  LEFT JOIN value ON value.partner_id = p.id
                  LEFT JOIN cl ON cl.partner_id = p.id
                  LEFT JOIN exams ON exams.partner_id = p.id
                  LEFT JOIN rx ON rx.partner_id = p.id
                 WHERE TRUE %(filter_partners)s
            )
            UPDATE res_partner p
               SET optical_ltv = profile.ltv,
                   optical_last_purchase_date = profile.last_purchase,
                   optical_cl_runout_date = profile.runout,
                   optical_last_exam_date = profile.last_exam,
                   optical_next_exam_date = profile.next_exam,
                   optical_last_prescription_date = profile.last_rx
              FROM profile
             WHERE p.id = profile.id
               AND (p.optical_ltv IS DISTINCT FROM profile.ltv
                    OR p.optical_last_purchase_date
                       IS DISTINCT FROM profile.last_purchase
                    OR p.optical_cl_runout_date IS DISTINCT FROM profile.runout
                    OR p.optical_last_exam_date IS DISTINCT FROM profile.last_exam
                    OR p.optical_next_exam_date IS DISTINCT FROM profile.next_exam
                    OR p.optical_last_prescription_date
                       IS DISTINCT FROM profile.last_rx)
                """,
                docs=self._optical_purchase_docs_sql(partner_ids),
                cl_lines=self._optical_purchase_lines_sql(
                    partner_ids, category="contact_lens"
                ),
                filter_exams=self._optical_partner_filter(
                    SQL("e.partner_id"), partner_ids
                ),
                filter_rx=self._optical_partner_filter(
                    SQL("r.partner_id"), partner_ids
                ),
                filter_partners=self._optical_partner_filter(SQL("p.id"), partner_ids),
            )
        ]

    @api.model
    def _optical_refresh_profile(self, partner_ids=None):
        """Recompute the stored optical profile of some partners, or of all.

        :param partner_ids: ids to refresh, or None for every partner (one
            set-based pass, used at install, by the benchmark and by repairs).
        Called by invoice posting/reset/cancel, exam and prescription changes,
        imports and product changes, for the partners concerned only.
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
        for query in self._optical_profile_queries(partner_ids):
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
        self._optical_refresh_profile(partner_ids)

    @api.model
    def _optical_demo_load(self):
        """Demo data of an Italian shop (called once from demo/optical_demo.xml)."""
        from ..demo.optical_demo import generate

        generate(self.env)
