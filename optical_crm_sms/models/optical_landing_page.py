from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL


class OpticalLandingPage(models.Model):
    """The offer an SMS mailing links to: each recipient gets a personal link.

    The public page (``/o/<token>``) shows the offer with the customer's first name
    only, a "book a visit" form and an opt-out button. Never health data.
    """

    _name = "optical.landing.page"
    _description = "SMS landing page"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(string="Offer title", required=True, tracking=True)
    offer_text = fields.Text(
        string="Offer",
        help="Text of the offer shown on the page. Never write health data here.",
    )
    image = fields.Image(max_width=1200, max_height=1200)
    booking_enabled = fields.Boolean(
        string="Booking form",
        default=True,
        help="Show a form to ask for a visit: the shop gets an activity to call back.",
    )
    validity_days = fields.Integer(
        string="Link validity (days)",
        default=30,
        required=True,
        help="Days each personal link stays valid after the SMS is sent.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        default=lambda self: self.env.user,
        check_company=True,
        help="Receives the activities of the visit requests.",
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    active = fields.Boolean(default=True)
    mailing_ids = fields.One2many(
        "mailing.mailing", "optical_landing_page_id", string="SMS mailings"
    )
    token_ids = fields.One2many(
        "optical.landing.token", "landing_page_id", string="Links"
    )
    link_count = fields.Integer(compute="_compute_counts")
    visit_count = fields.Integer(compute="_compute_counts")
    booking_count = fields.Integer(compute="_compute_counts")

    @api.depends("token_ids")
    def _compute_counts(self):
        links = dict(
            self.env["optical.landing.token"]._read_group(
                [("landing_page_id", "in", self.ids)], ["landing_page_id"], ["__count"]
            )
        )
        bookings = dict(
            self.env["optical.landing.token"]._read_group(
                [("landing_page_id", "in", self.ids), ("booked_at", "!=", False)],
                ["landing_page_id"],
                ["__count"],
            )
        )
        visits = {}
        if self.ids:
            self.env.cr.execute(
                SQL(
                    """
                    SELECT link.landing_page_id, COUNT(*)
                      FROM optical_touchpoint tp
                      JOIN optical_landing_token link ON link.id = tp.res_id
                     WHERE tp.res_model = 'optical.landing.token' AND tp.kind = 'visit'
                       AND link.landing_page_id IN %s
                  GROUP BY link.landing_page_id
                    """,
                    tuple(self.ids),
                )
            )
            visits = dict(self.env.cr.fetchall())
        for page in self:
            page.link_count = links.get(page, 0)
            page.booking_count = bookings.get(page, 0)
            page.visit_count = visits.get(page.id, 0)

    @api.constrains("validity_days")
    def _check_validity_days(self):
        for page in self:
            if not 1 <= page.validity_days <= 365:
                raise ValidationError(
                    self.env._(
                        "The links of “%(page)s” must stay valid between 1 and 365 "
                        "days.",
                        page=page.name,
                    )
                )

    def _create_sms_mailing(self, body, **values):
        """Create the SMS mailing of this landing page (draft).

        Every SMS it sends carries the recipient's personal link to the page (and
        the opt-out link). ``values`` are more ``mailing.mailing`` values
        (``subject``, ``mailing_model_id``, ``mailing_domain``, ``campaign_id``...);
        by default the mailing targets contacts (``res.partner``).
        """
        self.ensure_one()
        vals = {
            "subject": self.name,
            "mailing_type": "sms",
            "body_plaintext": body,
            "sms_allow_unsubscribe": True,
            "optical_landing_page_id": self.id,
            "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
        }
        vals.update(values)
        return self.env["mailing.mailing"].create(vals)

    def action_view_mailings(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "mass_mailing_sms.mailing_mailing_action_sms"
        )
        action["domain"] = [("optical_landing_page_id", "=", self.id)]
        action["context"] = {
            "default_mailing_type": "sms",
            "default_optical_landing_page_id": self.id,
            "default_sms_allow_unsubscribe": True,
        }
        return action
