"""The sales ledger: one row per line of what each customer bought, where, when,
for how much, whatever the document (invoice, sales receipt, credit note, point
of sale order, imported or API purchase).

Every consumer of sales (cycle triggers, the optical profile, customer value and
scores, cohorts, lapsed and recall lists, attribution, the timeline) reads this
table, never the documents: a new kind of sale is one more *source* here and
counts everywhere at once.

**Sources** (``_optical_ledger_sources``): each gives one ``SELECT`` of the
ledger's columns for some of its documents (or all of them). The core has two:

* ``account.move``: posted customer invoices, sales receipts and credit notes
  (``out_invoice``, ``out_receipt``, ``out_refund``), one row per product line;
* ``optical.touchpoint``: purchases recorded outside Odoo's documents (the
  import, the touchpoint API, other systems): a purchase touchpoint without
  document, one row each.

Addons add theirs (``optical_crm_pos``: paid point-of-sale orders, which keep
counting when invoiced: their invoices are left out of ``account.move``).

**Kept current by events**: whoever changes a document calls
:meth:`_optical_sync` with the source and the document ids; the rows of those
documents are replaced by what the source says now (none when the document is
no longer a sale: reset to draft, cancelled, deleted). :meth:`_optical_rebuild`
rewrites the whole table from every source (install, repairs, benchmark).
:meth:`_optical_changed_partners` tells who bought (or saw a sale undone)
since a given time: the lines written since then and each source's documents
written since then (``_optical_changed_sources``).

**Conventions of the rows**:

* ``partner_id`` is the customer of the document (the commercial partner: a
  delivery contact's purchases are the company's or the person's);
* ``date`` is the document's date (invoice date, receipt date, order date in the
  shop's time zone); ``sale_date`` the date of the sale it belongs to: a refund
  counts on the date of the sale it reverses (``origin_key``), when it has one;
* ``quantity`` and ``amount`` are signed (refunds negative); amounts are
  untaxed, in the shop's currency;
* ``document_key`` (``model,id`` or ``source:reference``) names the document,
  ``origin_key`` the sale a refund reverses (else the document itself):
  grouping on ``origin_key`` gives "a sale with its refunds".
"""

from odoo import api, fields, models
from odoo.tools import SQL

from .product_template import OPTICAL_CATEGORIES

SALE_KINDS = [
    ("invoice", "Invoice"),
    ("receipt", "Sales receipt"),
    ("credit_note", "Credit note"),
    ("import", "Imported purchase"),
    ("api", "Purchase from another system"),
]
# the columns every source selects, in this order
LEDGER_COLUMNS = (
    "line_key",
    "document_key",
    "origin_key",
    "document_name",
    "kind",
    "res_model",
    "res_id",
    "move_id",
    "company_id",
    "partner_id",
    "date",
    "sale_date",
    "product_id",
    "optical_category",
    "quantity",
    "amount",
    "is_refund",
)


class OpticalSaleLine(models.Model):
    _name = "optical.sale.line"
    _description = "Sales ledger line"
    _order = "date desc, id desc"
    _rec_name = "document_name"

    line_key = fields.Char(required=True, readonly=True)
    document_key = fields.Char(required=True, readonly=True, index=True)
    origin_key = fields.Char(required=True, readonly=True, index=True)
    document_name = fields.Char(string="Document", readonly=True)
    kind = fields.Selection(SALE_KINDS, required=True, readonly=True)
    res_model = fields.Char(string="Document model", readonly=True)
    res_id = fields.Many2oneReference(
        string="Document id", model_field="res_model", readonly=True
    )
    move_id = fields.Many2one(
        "account.move", string="Invoice or receipt", readonly=True, index=True
    )
    company_id = fields.Many2one(
        "res.company", string="Shop", required=True, readonly=True, index=True
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True, index=True
    )
    date = fields.Date(required=True, readonly=True)
    sale_date = fields.Date(
        required=True,
        readonly=True,
        help="Date of the sale this line belongs to: a refund counts on the date "
        "of the sale it reverses.",
    )
    product_id = fields.Many2one("product.product", readonly=True, index=True)
    optical_category = fields.Selection(
        OPTICAL_CATEGORIES, string="Optical category", readonly=True
    )
    quantity = fields.Float(digits="Product Unit of Measure", readonly=True)
    amount = fields.Monetary(
        currency_field="currency_id",
        readonly=True,
        help="Untaxed, in the shop's currency; refunds negative.",
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    is_refund = fields.Boolean(readonly=True)

    _sql_constraints = [
        (
            "line_key_unique",
            "unique(line_key)",
            "A document line is recorded once in the sales ledger.",
        )
    ]

    def init(self):
        cr = self.env.cr
        # what a customer bought in a shop, by date (profile, value, cycles)
        cr.execute(
            "CREATE INDEX IF NOT EXISTS optical_sale_line_customer_idx "
            "ON optical_sale_line (partner_id, company_id, sale_date)"
        )
        cr.execute(
            "CREATE INDEX IF NOT EXISTS optical_sale_line_category_idx "
            "ON optical_sale_line (company_id, optical_category, sale_date) "
            "WHERE optical_category IS NOT NULL"
        )
        cr.execute(
            "CREATE INDEX IF NOT EXISTS optical_sale_line_document_idx "
            "ON optical_sale_line (res_model, res_id)"
        )
        # the lines written lately (customers whose value to refresh)
        cr.execute(
            "CREATE INDEX IF NOT EXISTS optical_sale_line_write_date_idx "
            "ON optical_sale_line (write_date)"
        )

    def action_open_document(self):
        self.ensure_one()
        if not self.res_model or not self.res_id:
            return False
        return self.env[self.res_model].browse(self.res_id)._get_records_action()

    # ------------------------------------------------------------------ sources
    @api.model
    def _optical_ledger_sources(self):
        """``{document model: method name}``: the method takes ``ids`` (a list,
        or None for every document) and returns one ``SELECT`` of
        ``LEDGER_COLUMNS`` for those documents' sale lines (none for a document
        that is not, or no longer, a sale). Addons add their documents."""
        return {
            "account.move": "_optical_account_move_lines_sql",
            "optical.touchpoint": "_optical_touchpoint_lines_sql",
        }

    @api.model
    def _optical_source_models(self):
        """The models the sources read, to flush before reading them."""
        return {
            "account.move": ["account.move", "account.move.line"],
            "optical.touchpoint": ["optical.touchpoint"],
        }

    @api.model
    def _optical_account_move_lines_sql(self, ids):
        """Posted customer invoices, sales receipts and credit notes: one row per
        product line, amounts untaxed and signed in the shop's currency."""
        where = SQL("AND m.id = ANY(%s)", list(ids)) if ids is not None else SQL()
        return SQL(
            """
            SELECT 'account.move.line,' || l.id,
                   'account.move,' || m.id,
                   'account.move,' || COALESCE(m.reversed_entry_id, m.id),
                   m.name,
                   CASE m.move_type WHEN 'out_invoice' THEN 'invoice'
                                    WHEN 'out_receipt' THEN 'receipt'
                                    ELSE 'credit_note' END,
                   'account.move', m.id, m.id, m.company_id,
                   m.commercial_partner_id,
                   m.invoice_date,
                   COALESCE(o.invoice_date, m.invoice_date),
                   l.product_id, l.optical_category,
                   CASE WHEN m.move_type = 'out_refund'
                        THEN -l.quantity ELSE l.quantity END,
                   -l.balance,
                   m.move_type = 'out_refund'
              FROM account_move m
              JOIN account_move_line l
                ON l.move_id = m.id AND l.display_type = 'product'
              LEFT JOIN account_move o ON o.id = m.reversed_entry_id
             WHERE m.state = 'posted'
               AND m.move_type IN ('out_invoice', 'out_receipt', 'out_refund')
               AND m.commercial_partner_id IS NOT NULL
               AND m.invoice_date IS NOT NULL
               %s %s
            """,
            where,
            self._optical_account_move_exclusion(),
        )

    @api.model
    def _optical_account_move_exclusion(self):
        """Hook: ``AND ...`` conditions on ``m`` (the account move) leaving out
        documents that another source already counts (the invoice of a point
        of sale order counts through the order). Empty in the core."""
        return SQL()

    @api.model
    def _optical_touchpoint_lines_sql(self, ids):
        """Purchases recorded without an Odoo document: by the import (and the
        demo data) or sent by another system through the API. A purchase
        touchpoint is one line; a negative amount is a refund. Its document is
        the external document (``source:document``) when the touchpoint names
        one, so that the lines of one receipt make one sale. Receipt numbers
        start again every day (or year) in other systems: the document is the
        number on that day. Without a number, the purchases of one day in one
        shop make one sale per customer (a visit)."""
        where = SQL("AND t.id = ANY(%s)", list(ids)) if ids is not None else SQL()
        document = SQL(
            "t.source || ':' || t.company_id || ':'"
            " || (t.datetime AT TIME ZONE 'UTC'"
            "     AT TIME ZONE COALESCE(cp.tz, 'Europe/Rome'))::date"
            " || ':' || COALESCE(NULLIF(t.document_ref, ''),"
            "                    'customer-' || t.partner_id)"
        )
        return SQL(
            """
            SELECT 'optical.touchpoint,' || t.id,
                   %(document)s, %(document)s,
                   COALESCE(NULLIF(t.document_ref, ''), t.summary),
                   CASE WHEN t.source IN ('import', 'demo') THEN 'import'
                        ELSE 'api' END,
                   'optical.touchpoint', t.id, NULL::integer, t.company_id,
                   COALESCE(p.commercial_partner_id, p.id),
                   (t.datetime AT TIME ZONE 'UTC'
                        AT TIME ZONE COALESCE(cp.tz, 'Europe/Rome'))::date,
                   (t.datetime AT TIME ZONE 'UTC'
                        AT TIME ZONE COALESCE(cp.tz, 'Europe/Rome'))::date,
                   t.product_id, t.optical_category,
                   COALESCE(t.quantity, 0), COALESCE(t.amount, 0),
                   COALESCE(t.amount, 0) < 0
              FROM optical_touchpoint t
              JOIN res_partner p ON p.id = t.partner_id
              JOIN res_company c ON c.id = t.company_id
              JOIN res_partner cp ON cp.id = c.partner_id
             WHERE t.kind = 'purchase' AND t.res_model IS NULL
               %(where)s
            """,
            document=document,
            where=where,
        )

    # ------------------------------------------------------------------ reading
    @api.model
    def _optical_sales_sql(self, company_ids=None, partner_ids=None, where=None):
        """One row per sale (a document with the refunds that reverse it):
        ``partner_id, company_id, origin_key, sale_date, amount`` (net of its
        refunds) and ``is_purchase``: a sale not wholly refunded (its net amount
        is positive). A refund without known origin is a sale of its own with a
        negative amount, no purchase. The single definition of "a purchase".

        Also ``move_id`` (the invoice or sales receipt of the sale, when it is
        one) and ``recorded_at`` (when the sale came into the ledger: the first
        of its own lines, refunds left aside), for who needs to know whether a
        sale was made before or after something that happened the same day.

        ``where``: an extra condition on the ledger lines ``s`` that holds for
        every line of a sale or for none (on ``partner_id``, ``company_id``,
        ``origin_key`` or ``sale_date``), to read a few sales only."""
        scope = [SQL("TRUE")]
        if company_ids is not None:
            scope.append(SQL("s.company_id = ANY(%s)", list(company_ids)))
        if partner_ids is not None:
            scope.append(SQL("s.partner_id = ANY(%s)", list(partner_ids)))
        if where is not None:
            scope.append(where)
        return SQL(
            """
            SELECT s.partner_id, s.company_id, s.origin_key,
                   MIN(s.sale_date) AS sale_date,
                   SUM(s.amount) AS amount,
                   BOOL_OR(NOT s.is_refund) AND SUM(s.amount) > 0 AS is_purchase,
                   MIN(s.move_id) FILTER (WHERE NOT s.is_refund) AS move_id,
                   MIN(s.create_date) FILTER (WHERE NOT s.is_refund) AS recorded_at
              FROM optical_sale_line s
             WHERE %s
             GROUP BY s.partner_id, s.company_id, s.origin_key
            """,
            SQL(" AND ").join(scope),
        )

    @api.model
    def _optical_changed_sources(self):
        """``{document model: method name}``: the method takes a datetime and
        returns one ``SELECT partner_id, company_id`` (the customer as in the
        ledger: the commercial partner) of that source's documents written
        since then, sales or no longer sales: a document reset to draft or
        cancelled left the ledger without a trace there. Addons add theirs."""
        return {
            "account.move": "_optical_account_move_changed_sql",
            "optical.touchpoint": "_optical_touchpoint_changed_sql",
        }

    @api.model
    def _optical_account_move_changed_sql(self, since):
        return SQL(
            """
            SELECT m.commercial_partner_id, m.company_id
              FROM account_move m
             WHERE m.write_date >= %s
               AND m.move_type IN ('out_invoice', 'out_receipt', 'out_refund')
               AND m.commercial_partner_id IS NOT NULL
            """,
            since,
        )

    @api.model
    def _optical_touchpoint_changed_sql(self, since):
        # touchpoints of Odoo documents (res_model) are never ledger lines
        return SQL(
            """
            SELECT COALESCE(p.commercial_partner_id, p.id), t.company_id
              FROM optical_touchpoint t
              JOIN res_partner p ON p.id = t.partner_id
             WHERE t.write_date >= %s AND t.res_model IS NULL
            """,
            since,
        )

    @api.model
    def _optical_changed_partners(self, since):
        """The customers whose sales changed since ``since`` (a datetime), per
        shop: ``{company_id: [partner_id, ...]}``. Ledger lines written since
        then (sales recorded, corrected) and each source's documents written
        since then (sales undone: their lines are gone). The one place that
        says who bought or un-bought lately (the value of the customers is
        refreshed from it)."""
        self._optical_flush_sources()
        selects = [
            SQL(
                "SELECT partner_id, company_id FROM optical_sale_line"
                " WHERE write_date >= %s",
                since,
            )
        ]
        selects += [
            getattr(self, method)(since)
            for method in self._optical_changed_sources().values()
        ]
        rows = self.env.execute_query(
            SQL(
                """
                SELECT company_id, ARRAY_AGG(DISTINCT partner_id)
                  FROM (%s) AS changed (partner_id, company_id)
                 WHERE partner_id IS NOT NULL AND company_id IS NOT NULL
                 GROUP BY company_id
                """,
                SQL(" UNION ALL ").join(selects),
            )
        )
        return {company_id: sorted(partner_ids) for company_id, partner_ids in rows}

    # ------------------------------------------------------------------ events
    @api.model
    def _optical_sync(self, res_model, ids):
        """Bring the ledger rows of these documents in line with the documents
        (called by the events that change them: posting, reset, cancel, payment
        of an order, import, API). Returns ``(added, removed)``: the ledger rows
        inserted (a recordset) and the ``(partner_id, company_id,
        document_key)`` of the rows removed; the hooks
        :meth:`_optical_sales_recorded` and :meth:`_optical_sales_removed` are
        told first."""
        ids = sorted({i for i in ids if i})
        if not ids:
            return self.browse(), []
        self._optical_flush_sources([res_model])
        cr = self.env.cr
        select = getattr(self, self._optical_ledger_sources()[res_model])(ids)
        columns = SQL(", ").join(SQL.identifier(c) for c in LEDGER_COLUMNS)
        # the source is read once: rows that the documents no longer have go;
        # new ones come; a line whose figures changed (a document posted again
        # after a correction) is updated in place and counts as new for the
        # hooks; an unchanged line is left alone
        cr.execute(
            SQL(
                """
                WITH fresh (%(columns)s) AS MATERIALIZED (%(select)s),
                gone AS (
                    DELETE FROM optical_sale_line s
                     WHERE s.res_model = %(model)s AND s.res_id = ANY(%(ids)s)
                       AND NOT EXISTS (SELECT 1 FROM fresh f
                                        WHERE f.line_key = s.line_key)
                    RETURNING s.partner_id, s.company_id, s.document_key
                ),
                changed AS (
                    INSERT INTO optical_sale_line (%(columns)s, create_uid,
                                                   create_date, write_uid,
                                                   write_date)
                    SELECT %(columns)s, %(uid)s, NOW() AT TIME ZONE 'UTC',
                           %(uid)s, NOW() AT TIME ZONE 'UTC'
                      FROM fresh
                    ON CONFLICT (line_key) DO UPDATE
                       SET %(update)s, write_uid = EXCLUDED.write_uid,
                           write_date = EXCLUDED.write_date
                     WHERE (%(current)s) IS DISTINCT FROM (%(excluded)s)
                    RETURNING id
                )
                SELECT id, NULL, NULL, NULL FROM changed
                 UNION ALL
                SELECT NULL, partner_id, company_id, document_key FROM gone
                """,
                columns=columns,
                select=select,
                model=res_model,
                ids=ids,
                uid=self.env.uid,
                update=SQL(", ").join(
                    SQL("%s = EXCLUDED.%s", SQL.identifier(c), SQL.identifier(c))
                    for c in LEDGER_COLUMNS
                ),
                current=SQL(", ").join(
                    SQL.identifier("optical_sale_line", c) for c in LEDGER_COLUMNS
                ),
                excluded=SQL(", ").join(
                    SQL.identifier("excluded", c) for c in LEDGER_COLUMNS
                ),
            )
        )
        rows = cr.fetchall()
        removed = [row[1:] for row in rows if row[0] is None]
        added = self.browse([row[0] for row in rows if row[0] is not None])
        self.invalidate_model()
        # only a document that lost every line is "removed"
        still = {line.document_key for line in added}
        removed = [row for row in removed if row[2] not in still]
        if removed:
            self._optical_sales_removed(removed)
        if added:
            self._optical_sales_recorded(added)
        return added, removed

    @api.model
    def _optical_sales_recorded(self, lines):
        """Hook: these ledger lines were just recorded (a new sale, a refund, a
        document posted again). The core refreshes the customers' optical
        profile, unless the caller refreshes it once at the end of a batch
        (context key ``optical_profile_deferred``: the import and the
        touchpoint API); the cycles enroll and stop from here."""
        if self.env.context.get("optical_profile_deferred"):
            return
        self.env["res.partner"]._optical_refresh_profile(
            lines.partner_id.ids, parts=lines._optical_profile_parts_changed()
        )

    @api.model
    def _optical_sales_removed(self, rows):
        """Hook: the lines of these documents left the ledger (reset to draft,
        cancelled, deleted). ``rows``: ``(partner_id, company_id,
        document_key)`` tuples."""
        if self.env.context.get("optical_profile_deferred"):
            return
        partner_ids = {row[0] for row in rows}
        self.env["res.partner"]._optical_refresh_profile(
            partner_ids, parts=["purchases", "contact_lenses"]
        )

    def _optical_profile_parts_changed(self):
        """The parts of the customers' profile these lines change."""
        if any(line.optical_category == "contact_lens" for line in self):
            return ["purchases", "contact_lenses"]
        return ["purchases"]

    # ------------------------------------------------------------------ rebuild
    @api.model
    def _optical_flush_sources(self, res_models=None):
        models_by_source = self._optical_source_models()
        for res_model in res_models or models_by_source:
            for model in models_by_source.get(res_model, [res_model]):
                self.env[model].flush_model()
        self.env["product.product"].flush_model()
        self.env["product.template"].flush_model(["optical_category"])
        self.flush_model()

    @api.model
    def _optical_rebuild(self):
        """Rewrite the whole ledger from every source (set-based: one INSERT per
        source). No hook runs: nothing is enrolled for history; the caller
        refreshes profiles and values when it needs to. Returns the row count.

        A bulk load: the table's foreign keys and secondary indexes are dropped
        while it is filled and created again after (checking all the rows at
        once), four times faster than keeping them up to date row by row. Creating
        the foreign keys again locks the tables they point to (customers,
        invoices, products...) against writes until the transaction ends."""
        self._optical_flush_sources()
        cr = self.env.cr
        cr.execute("TRUNCATE optical_sale_line RESTART IDENTITY")
        restore = self._optical_drop_for_load()
        columns = SQL(", ").join(SQL.identifier(c) for c in LEDGER_COLUMNS)
        for method in self._optical_ledger_sources().values():
            cr.execute(
                SQL(
                    """
                    INSERT INTO optical_sale_line (%(columns)s, create_uid,
                                                   create_date, write_uid,
                                                   write_date)
                    SELECT %(columns)s, %(uid)s, NOW() AT TIME ZONE 'UTC',
                           %(uid)s, NOW() AT TIME ZONE 'UTC'
                      FROM (%(select)s) AS fresh (%(columns)s)
                    ON CONFLICT (line_key) DO NOTHING
                    """,
                    columns=columns,
                    select=getattr(self, method)(None),
                    uid=self.env.uid,
                )
            )
        for statement in restore:
            cr.execute(statement)
        cr.execute("ANALYZE optical_sale_line")
        self.invalidate_model()
        return self.search_count([])

    @api.model
    def _optical_drop_for_load(self):
        """Drop the foreign keys and the indexes of the (empty) table, except the
        primary key and the unique line key; returns the statements that create
        them again, identical."""
        cr = self.env.cr
        table = SQL.identifier(self._table)
        cr.execute(
            SQL(
                """
                SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
                 WHERE conrelid = %s::regclass AND contype = 'f'
                 ORDER BY conname
                """,
                self._table,
            )
        )
        foreign_keys = cr.fetchall()
        cr.execute(
            SQL(
                """
                SELECT i.indexname, i.indexdef FROM pg_indexes i
                 WHERE i.schemaname = current_schema() AND i.tablename = %s
                   AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                                    WHERE c.conrelid = %s::regclass
                                      AND c.conname = i.indexname)
                 ORDER BY i.indexname
                """,
                self._table,
                self._table,
            )
        )
        indexes = cr.fetchall()
        # the indexes first: checking the foreign keys then reads a finished table
        restore = [SQL(definition) for _name, definition in indexes]
        restore += [
            SQL(
                "ALTER TABLE %s ADD CONSTRAINT %s %s",
                table,
                SQL.identifier(name),
                SQL(definition),
            )
            for name, definition in foreign_keys
        ]
        for name, _definition in foreign_keys:
            cr.execute(
                SQL("ALTER TABLE %s DROP CONSTRAINT %s", table, SQL.identifier(name))
            )
        for name, _definition in indexes:
            cr.execute(SQL("DROP INDEX %s", SQL.identifier(name)))
        return restore
