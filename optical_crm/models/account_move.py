from datetime import datetime, time, timedelta

import pytz

from odoo import fields, models

SALE_TYPES = ("out_invoice", "out_refund")


class AccountMove(models.Model):
    _inherit = "account.move"

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        sales = posted.filtered(lambda m: m.move_type in SALE_TYPES)
        if sales:
            sales.filtered(
                lambda m: m.move_type == "out_invoice"
            )._optical_record_touchpoints()
            self.env["res.partner"]._optical_refresh_profile(sales.partner_id.ids)
        return posted

    def button_draft(self):
        # button_cancel() passes posted moves through here as well.
        was_posted = self.filtered(
            lambda m: m.state == "posted" and m.move_type in SALE_TYPES
        )
        partners = was_posted.partner_id
        res = super().button_draft()
        if was_posted:
            self.env["optical.touchpoint"].sudo().search(
                [
                    ("res_model", "=", "account.move"),
                    ("res_id", "in", was_posted.ids),
                    ("kind", "=", "purchase"),
                ]
            ).unlink()
            self.env["res.partner"]._optical_refresh_profile(partners.ids)
        return res

    def _optical_touchpoint_datetime(self):
        """Noon of the invoice date in the shop's time zone, never in the future."""
        self.ensure_one()
        tz_name = self.company_id.partner_id.tz or self.env.user.tz or "Europe/Rome"
        local = pytz.timezone(tz_name).localize(
            datetime.combine(self.invoice_date, time(12, 0))
        )
        moment = local.astimezone(pytz.utc).replace(tzinfo=None)
        return min(moment, fields.Datetime.now() - timedelta(seconds=1))

    def _optical_record_touchpoints(self):
        vals_list = []
        for move in self:
            lines = move.invoice_line_ids.filtered("optical_category").sorted(
                "price_subtotal", reverse=True
            )
            vals_list.append(
                {
                    "partner_id": move.partner_id.id,
                    "datetime": move._optical_touchpoint_datetime(),
                    "channel": "store",
                    "kind": "purchase",
                    "summary": move.name,
                    "source": "odoo",
                    "external_ref": f"account.move,{move.id}",
                    "res_model": "account.move",
                    "res_id": move.id,
                    "company_id": move.company_id.id,
                    "amount": move.amount_untaxed_signed,
                    "optical_category": lines[:1].optical_category,
                }
            )
        return self.env["optical.touchpoint"]._record_once(vals_list)
