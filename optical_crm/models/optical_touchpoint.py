from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .product_template import OPTICAL_CATEGORIES

TOUCHPOINT_CHANNELS = [
    ("store", "Store"),
    ("phone", "Phone"),
    ("web", "Website"),
    ("app", "App"),
    ("chat", "Chat"),
    ("social", "Social"),
    ("email", "Email"),
    ("sms", "SMS"),
]
TOUCHPOINT_KINDS = [
    ("purchase", "Purchase"),
    ("exam", "Eye exam"),
    ("inquiry", "Inquiry"),
    ("newsletter", "Newsletter"),
    ("visit", "Visit"),
    ("complaint", "Complaint"),
    ("booking", "Booking"),
    ("call", "Call"),
    ("message", "Message"),
]
# Fields of a purchase touchpoint that its line in the sales ledger reads.
PURCHASE_LEDGER_FIELDS = {
    "partner_id",
    "datetime",
    "kind",
    "res_model",
    "amount",
    "quantity",
    "product_id",
    "optical_category",
    "document_ref",
    "source",
    "company_id",
}
# A touchpoint may be dated this much after "now" (clock skew of the sender).
FUTURE_TOLERANCE = timedelta(minutes=5)


class OpticalTouchpoint(models.Model):
    _name = "optical.touchpoint"
    _description = "Customer touchpoint"
    _order = "datetime desc, id desc"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, ondelete="cascade"
    )
    datetime = fields.Datetime(string="When", required=True, index=True)
    channel = fields.Selection(TOUCHPOINT_CHANNELS, required=True)
    kind = fields.Selection(TOUCHPOINT_KINDS, required=True)
    summary = fields.Char()
    product_id = fields.Many2one("product.product", check_company=True)
    optical_category = fields.Selection(
        OPTICAL_CATEGORIES,
        string="Optical category",
        help="Purchases: what was bought (taken from the product when there is one).",
    )
    quantity = fields.Float(
        digits="Product Unit of Measure",
        help="Purchases: quantity bought (packs for contact lenses).",
    )
    amount = fields.Monetary(
        currency_field="currency_id",
        help="Purchases: amount without taxes. Purchases that are not Odoo invoices "
        "(imported history, other systems) count in the customer's profile.",
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    document_ref = fields.Char(
        string="Document number",
        index="btree_not_null",
        help="Purchases: number of the sale document (receipt, invoice) in the "
        "source system; the lines of one document make one sale.",
    )
    source = fields.Char(
        required=True,
        default="odoo",
        help="System the touchpoint came from (odoo, app, chat, website, import...).",
    )
    external_ref = fields.Char(
        string="External reference",
        help="Identifier in the source system: sending the same row again "
        "changes nothing.",
    )
    res_model = fields.Char(string="Document model", readonly=True)
    res_id = fields.Many2oneReference(
        string="Document", model_field="res_model", readonly=True
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )

    # per shop: two shops' systems may use the same references. The name is
    # kept so that updating the module replaces the former unique(source,
    # external_ref) in place (Odoo compares the definitions).
    _sql_constraints = [
        (
            "source_external_ref_unique",
            "unique(company_id, source, external_ref)",
            "A touchpoint with this source and external reference already exists "
            "in this shop.",
        )
    ]

    def init(self):
        # the purchases recorded without document written lately (customers
        # whose value to refresh, see optical.sale.line._optical_changed_partners)
        self.env.cr.execute(
            "CREATE INDEX IF NOT EXISTS optical_touchpoint_ledger_write_date_idx "
            "ON optical_touchpoint (write_date) WHERE res_model IS NULL"
        )

    @api.depends("kind", "datetime", "partner_id")
    def _compute_display_name(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        for touchpoint in self:
            touchpoint.display_name = " - ".join(
                part
                for part in (
                    kinds.get(touchpoint.kind),
                    touchpoint.partner_id.display_name,
                )
                if part
            )

    @api.model
    def _optical_vals_error(self, vals):
        """Why these values cannot make a touchpoint (a translated sentence), or None.

        Shared by the form, the import and the JSON endpoint so the reasons match.
        """
        if not vals.get("partner_id"):
            return self.env._("The touchpoint has no customer.")
        when = vals.get("datetime")
        if not when:
            return self.env._("The touchpoint has no date and time.")
        try:
            when = fields.Datetime.to_datetime(when)
        except ValueError:
            return self.env._(
                "The date and time %(value)s is not valid.", value=vals["datetime"]
            )
        if when > fields.Datetime.now() + FUTURE_TOLERANCE:
            return self.env._(
                "The touchpoint is dated in the future (%(when)s UTC): only what "
                "has already happened can be recorded.",
                when=fields.Datetime.to_string(when),
            )
        for fname in ("channel", "kind", "optical_category"):
            value = vals.get(fname)
            if fname != "optical_category" and not value:
                return self.env._(
                    "The touchpoint has no %(field)s.",
                    field=self._fields[fname]._description_string(self.env),
                )
            allowed = [key for key, _label in self._fields[fname].selection]
            if value and value not in allowed:
                return self.env._(
                    "Unknown %(field)s %(value)s: use one of %(allowed)s.",
                    field=self._fields[fname]._description_string(self.env),
                    value=value,
                    allowed=", ".join(allowed),
                )
        return None

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            full = dict(vals)
            full.setdefault("company_id", self.env.company.id)
            error = self._optical_vals_error(full)
            if error:
                raise ValidationError(error)
            if vals.get("product_id") and not vals.get("optical_category"):
                product = self.env["product.product"].browse(vals["product_id"])
                vals["optical_category"] = product.sudo().optical_category
        touchpoints = super().create(vals_list)
        touchpoints._optical_purchases()._optical_sync_ledger()
        return touchpoints

    def write(self, vals):
        purchases = self._optical_purchases()
        res = super().write(vals)
        if PURCHASE_LEDGER_FIELDS & set(vals):
            (purchases | self._optical_purchases())._optical_sync_ledger()
        return res

    def unlink(self):
        purchases = self._optical_purchases()
        res = super().unlink()
        _added, removed = purchases._optical_sync_ledger()
        if removed:
            # a deleted purchase leaves no document written lately for the
            # scheduled refresh to find: the customers' value follows now
            self.env["optical.customer.value"].sudo()._optical_refresh_value(
                partner_ids={row[0] for row in removed}
            )
        return res

    # ------------------------------------------------------------------ ledger
    def _optical_purchases(self):
        """Purchases recorded outside Odoo's documents (imported history, other
        systems): each is a line of the sales ledger."""
        return self.filtered(lambda t: t.kind == "purchase" and not t.res_model)

    def _optical_sync_ledger(self):
        """These purchase touchpoints' lines in the sales ledger follow them;
        returns what ``optical.sale.line._optical_sync`` returns."""
        return (
            self.env["optical.sale.line"]
            .sudo()
            ._optical_sync("optical.touchpoint", self.ids)
        )

    @api.constrains("datetime", "channel", "kind")
    def _check_touchpoint(self):
        for touchpoint in self:
            error = self._optical_vals_error(
                {
                    "partner_id": touchpoint.partner_id.id,
                    "datetime": touchpoint.datetime,
                    "channel": touchpoint.channel,
                    "kind": touchpoint.kind,
                    "optical_category": touchpoint.optical_category,
                }
            )
            if error:
                raise ValidationError(error)

    @api.model
    def _optical_internal_sources(self):
        """Sources our addons write themselves: no other system may use them
        (the touchpoint API refuses them). Addons writing touchpoints of their
        own extend this set."""
        return {"odoo", "import", "demo"}

    @api.model
    def _optical_find_existing(self, company, source, external_refs):
        """The touchpoints of ``company`` already recorded with ``source`` and one
        of ``external_refs`` (every touchpoint of the shop, whatever the caller
        may read: the key is unique per shop)."""
        return self.sudo().search(
            [
                ("company_id", "=", company.id),
                ("source", "=", source),
                ("external_ref", "in", list(external_refs)),
            ]
        )

    @api.model
    def _record_once(self, vals_list):
        """Create the touchpoints whose (shop, source, external_ref) is not
        recorded yet.

        For touchpoints of Odoo documents (invoices, exams): posting or saving the
        same document again records nothing new. Returns the created records.
        """

        def key(vals):
            return (
                vals.get("company_id") or self.env.company.id,
                vals.get("source", "odoo"),
                vals["external_ref"],
            )

        refs = defaultdict(set)
        for vals in vals_list:
            company_id, source, ref = key(vals)
            refs[company_id, source].add(ref)
        done = set()
        for (company_id, source), external_refs in refs.items():
            existing = self._optical_find_existing(
                self.env["res.company"].browse(company_id), source, external_refs
            )
            done |= {(company_id, source, t.external_ref) for t in existing}
        todo = []
        for vals in vals_list:
            if key(vals) not in done:
                done.add(key(vals))
                todo.append(vals)
        return self.sudo().create(todo) if todo else self.browse()
