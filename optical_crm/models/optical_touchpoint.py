from odoo import api, fields, models

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


class OpticalTouchpoint(models.Model):
    _name = "optical.touchpoint"
    _description = "Customer touchpoint"
    _order = "datetime desc, id desc"

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, ondelete="cascade"
    )
    datetime = fields.Datetime(string="When", required=True, index=True)
    channel = fields.Selection(TOUCHPOINT_CHANNELS, required=True)
    kind = fields.Selection(TOUCHPOINT_KINDS, required=True)
    summary = fields.Char()
    product_id = fields.Many2one("product.product")
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
    res_model = fields.Char(string="Document model")
    res_id = fields.Many2oneReference(string="Document", model_field="res_model")
    company_id = fields.Many2one(
        "res.company", index=True, default=lambda self: self.env.company
    )

    _sql_constraints = [
        (
            "source_external_ref_unique",
            "unique(source, external_ref)",
            "A touchpoint with this source and external reference already exists.",
        )
    ]

    @api.model
    def _record_once(self, vals_list):
        """Create the touchpoints whose (source, external_ref) is not recorded yet.

        For touchpoints of Odoo documents (invoices, exams): posting or saving the
        same document again records nothing new. Returns the created records.
        """
        refs = {(v.get("source", "odoo"), v["external_ref"]) for v in vals_list}
        existing = self.sudo().search_fetch(
            [("external_ref", "in", [ref for _source, ref in refs])],
            ["source", "external_ref"],
        )
        done = {(t.source, t.external_ref) for t in existing}
        todo = []
        for vals in vals_list:
            key = (vals.get("source", "odoo"), vals["external_ref"])
            if key not in done:
                done.add(key)
                todo.append(vals)
        return self.sudo().create(todo) if todo else self.browse()
