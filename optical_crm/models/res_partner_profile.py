from odoo import api, fields, models
from odoo.tools import SQL

# Who may read the customer's optical figures (and search, group and export by
# them): the back office reads purchases and the recall date it calls customers
# for; what tells about the eyes (exams, prescriptions) is for optometrists.
OPTICAL_USER = "optical_crm.group_optical_user"
OPTOMETRIST = "optical_crm.group_optical_optometrist"


class ResPartner(models.Model):
    """The customer's optical profile: stored figures, one value per shop.

    Customers are shared by the shops (companies) of a chain; their figures are
    not. Each field is ``company_dependent`` (a jsonb column ``{company id:
    value}``): reads, searches, sorting and grouping give the current shop's
    figure, computed from that shop's sales (the sales ledger: invoices, sales
    receipts, imported purchases...), exams and prescriptions only (like
    ``optical.customer.value``).

    The next eye exam is the recall date the back office calls customers for
    (recall lists, campaigns, cycles): it is readable by every Optical CRM user.
    The last exam and the last prescription are health data: optometrists only.
    """

    # split from res_partner.py by concern (a file stays under 800 lines)
    _inherit = "res.partner"  # pylint: disable=consider-merging-classes-inherited

    # Stored figures, kept current by the events that change them (invoices, exams,
    # prescriptions, imported purchases): see _optical_refresh_profile().
    optical_last_exam_date = fields.Date(
        string="Last eye exam",
        company_dependent=True,
        readonly=True,
        groups=OPTOMETRIST,
        help="Date of the latest eye exam in this shop.",
    )
    optical_next_exam_date = fields.Date(
        string="Next eye exam (recall)",
        company_dependent=True,
        readonly=True,
        groups=OPTICAL_USER,
        help="From the latest eye exam in this shop: its recall date.",
    )
    optical_last_prescription_date = fields.Date(
        string="Last prescription",
        company_dependent=True,
        readonly=True,
        groups=OPTOMETRIST,
        help="Date of the latest prescription written in this shop.",
    )
    optical_last_purchase_date = fields.Date(
        string="Last purchase",
        company_dependent=True,
        readonly=True,
        groups=OPTICAL_USER,
        help="Date of the latest sale of this shop not wholly refunded (invoice, "
        "sales receipt, point of sale, imported or from another system).",
    )
    optical_cl_runout_date = fields.Date(
        string="Contact lenses run out",
        company_dependent=True,
        readonly=True,
        groups=OPTICAL_USER,
        help="Latest contact lens purchase date in this shop + packs x lenses per "
        "pack x replacement days / 2 (two eyes).",
    )
    optical_ltv = fields.Float(
        string="Lifetime value",
        company_dependent=True,
        digits="Account",
        readonly=True,
        groups=OPTICAL_USER,
        help="Sales of this shop less refunds (invoices, sales receipts, point of "
        "sale, imported or from other systems), without taxes, in company "
        "currency.",
    )

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
    def _optical_profile_sql(self, alias, fname, company):
        """Raw SQL of the figure ``fname`` of shop ``company`` (a company id, or
        an SQL expression giving one per row) of the partner aliased ``alias``.

        For queries that read the figures of several shops at once; with one shop,
        ``with_company(shop)._field_to_sql(alias, fname)`` says the same.
        """
        field = self._fields[fname]
        if not isinstance(company, SQL):
            company = SQL("%s", int(company))
        return SQL(
            "(%s->>(%s)::text)::%s",
            SQL.identifier(alias, fname),
            company,
            SQL(field._column_type[1]),
        )

    @api.model
    def _optical_partner_filter(self, column, partner_ids):
        """``AND <column> = ANY(ids)`` when refreshing some partners, else nothing."""
        if partner_ids is None:
            return SQL()
        return SQL("AND %s = ANY(%s)", column, list(partner_ids))

    @api.model
    def _optical_profile_parts(self, partner_ids=None):
        """The parts of the stored profile, each refreshed by the events that
        change it: a sale in the sales ledger changes "purchases" (and
        "contact_lenses" when it has contact lenses), an exam "exams", a
        prescription "prescriptions", a contact-lens product "contact_lenses".

        :return: ``{part: (ctes, {field: expression})}``. ``ctes`` is a list of
            ``(name, SQL)``, ending with a relation named after the part, one
            row per partner and shop (columns ``partner_id`` and ``company_id``)
            refreshed (a CTE that several parts use, is given
            by each and defined once). The expressions compute each stored field
            of that shop from it; a shop without a row (or a NULL expression)
            has no figure (NULL, or 0 for the lifetime value).
        """
        ledger_filter = self._optical_partner_filter(SQL("s.partner_id"), partner_ids)
        return {
            "purchases": (
                [
                    # one row per sale in the sales ledger: a document with
                    # its refunds (a wholly refunded sale weighs nothing)
                    (
                        "sales",
                        self.env["optical.sale.line"]._optical_sales_sql(
                            partner_ids=partner_ids
                        ),
                    ),
                    (
                        "purchases",
                        SQL(
                            """
                SELECT partner_id, company_id,
                       SUM(amount) AS ltv,
                       MAX(sale_date) FILTER (WHERE is_purchase) AS last_purchase
                  FROM sales GROUP BY partner_id, company_id
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
                    # lens days bought per day of sale (refunds negative)
                    (
                        "cl_days",
                        SQL(
                            """
                SELECT s.partner_id, s.company_id, s.sale_date AS purchase_date,
                       SUM(s.quantity) AS packs,
                       SUM(s.quantity * t.optical_cl_lenses_per_pack
                           * t.optical_cl_replacement_days) AS lens_days
                  FROM optical_sale_line s
                  JOIN product_product pp ON pp.id = s.product_id
                  JOIN product_template t ON t.id = pp.product_tmpl_id
                 WHERE s.optical_category = 'contact_lens' %(filter)s
                 GROUP BY s.partner_id, s.company_id, s.sale_date
                            """,
                            filter=ledger_filter,
                        ),
                    ),
                    (
                        "contact_lenses",
                        SQL(
                            """
                SELECT DISTINCT ON (partner_id, company_id)
                       partner_id, company_id,
                       purchase_date + FLOOR(lens_days / 2)::int AS runout
                  FROM cl_days
                 WHERE packs > 0 AND lens_days > 0
                 ORDER BY partner_id, company_id, purchase_date DESC
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
                SELECT DISTINCT ON (partner_id, company_id)
                       partner_id, company_id,
                       date AS last_exam, next_exam_date AS next_exam
                  FROM optical_exam e
                 WHERE TRUE %(filter)s
                 ORDER BY partner_id, company_id, date DESC, id DESC
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
                SELECT partner_id, company_id, MAX(date) AS last_rx
                  FROM optical_prescription r
                 WHERE TRUE %(filter)s
                 GROUP BY partner_id, company_id
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
        figures computed. Each field gets the figures of every shop at once,
        ``{company id: value}`` (the column of a ``company_dependent`` field);
        only rows whose figures change are written. Extend by appending queries.
        The CTEs are MATERIALIZED so that each is planned on its own: for the one
        customer of a posted invoice, planning the query costs more than running
        it.
        """
        chosen = self._optical_profile_parts(partner_ids)
        if parts is not None:
            chosen = {name: chosen[name] for name in parts}
        ctes = {}
        columns = {}
        for name, (part_ctes, expressions) in chosen.items():
            for cte_name, body in part_ctes:
                ctes.setdefault(cte_name, body)
            # the part's figures of every shop, one row per partner
            ctes[f"{name}_by_shop"] = SQL(
                "SELECT partner_id, %s FROM %s GROUP BY partner_id",
                SQL(", ").join(
                    SQL(
                        "jsonb_object_agg(company_id, %s) FILTER (WHERE %s IS NOT NULL)"
                        " AS %s",
                        expression,
                        expression,
                        SQL.identifier(field),
                    )
                    for field, expression in expressions.items()
                ),
                SQL.identifier(name),
            )
            columns.update(
                (field, SQL.identifier(f"{name}_by_shop", field))
                for field in expressions
            )
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
                        SQL.identifier(f"{name}_by_shop"),
                        SQL.identifier(f"{name}_by_shop", "partner_id"),
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
        Every shop's figures are refreshed, whoever triggers it.
        """
        if partner_ids is not None:
            partner_ids = sorted({pid for pid in partner_ids if pid})
            if not partner_ids:
                return
        for model in (
            "optical.sale.line",
            "optical.exam",
            "optical.prescription",
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
        self.env["optical.sale.line"].flush_model(["product_id", "partner_id"])
        self.env.cr.execute(
            SQL(
                "SELECT DISTINCT partner_id FROM optical_sale_line"
                " WHERE product_id = ANY(%s)",
                list(product_ids),
            )
        )
        partner_ids = [row[0] for row in self.env.cr.fetchall()]
        self._optical_refresh_profile(partner_ids, parts=["contact_lenses"])
