from datetime import date

from odoo import fields, http
from odoo.http import request

from odoo.addons.optical_crm.controllers.throttle import throttled

# a page with a personal link: never indexed, never cached, no referrer leak
HEADERS = [
    ("X-Robots-Tag", "noindex, nofollow"),
    ("Referrer-Policy", "no-referrer"),
    ("Cache-Control", "no-store, max-age=0"),
    ("Pragma", "no-cache"),
]
SLOTS = ("morning", "afternoon", "any")


class OpticalLanding(http.Controller):
    """Public pages of the SMS landing links (``/o/<token>``)."""

    def _render(self, template, values, link=None, status=200):
        # the customer's language, else the shop's, else Italian when installed
        langs = request.env["res.lang"]
        candidates = [
            link and link.partner_id.lang,
            link and link.company_id.partner_id.lang,
            "it_IT",
            request.env.context.get("lang"),
        ]
        lang = next(
            (code for code in candidates if code and langs._get_code(code)), "en_US"
        )
        request.update_context(lang=lang)
        values = dict(values, lang=lang.replace("_", "-"))
        return request.render(template, values, headers=HEADERS, status=status)

    def _gone(self):
        return self._render("optical_crm_sms.landing_gone", {}, status=404)

    def _values(self, link, token):
        partner = link.partner_id
        first_name = (partner.name or "").split()[0] if partner.name else ""
        page = link.landing_page_id
        return {
            "token": token,
            "first_name": first_name,
            "page": page,
            "company": link._sending_company(),
            "chain": request.env["res.company"].sudo().search_count([]) > 1,
            "booked": bool(link.booked_at),
            "min_day": fields.Date.context_today(page).isoformat(),
        }

    @http.route(
        "/o/<string:token>", type="http", auth="public", methods=["GET"], sitemap=False
    )
    @throttled("landing")
    def landing(self, token, **kwargs):
        link = request.env["optical.landing.token"]._find(token)
        if not link:
            return self._gone()
        if not request.env["ir.http"]._optical_is_link_preview():
            # a link preview (chat apps, HEAD requests) is not the customer's visit
            link._record_touchpoint("visit")
            link._record_click()
        return self._render(
            "optical_crm_sms.landing_page", self._values(link, token), link
        )

    @http.route(
        "/o/<string:token>/image",
        type="http",
        auth="public",
        methods=["GET"],
        sitemap=False,
    )
    @throttled("landing")
    def landing_image(self, token, **kwargs):
        link = request.env["optical.landing.token"]._find(token)
        if not link or not link.landing_page_id.image:
            return request.not_found()
        stream = request.env["ir.binary"]._get_image_stream_from(
            link.landing_page_id, "image"
        )
        response = stream.get_response()
        for header, value in HEADERS:
            response.headers[header] = value
        return response

    @http.route(
        "/o/<string:token>/book",
        type="http",
        auth="public",
        methods=["POST"],
        sitemap=False,
    )
    @throttled("landing")
    def landing_book(self, token, slot=None, day=None, **kwargs):
        link = request.env["optical.landing.token"]._find(token)
        if not link or not link.landing_page_id.booking_enabled:
            return self._gone()
        try:
            wanted = date.fromisoformat(day) if day else None
        except ValueError:
            wanted = None
        if wanted and wanted < fields.Date.context_today(link):
            wanted = None
        link._book(slot if slot in SLOTS else "any", wanted)
        values = dict(self._values(link, token), day=wanted, slot=slot)
        return self._render("optical_crm_sms.landing_booked", values, link)

    @http.route(
        "/o/<string:token>/optout",
        type="http",
        auth="public",
        methods=["POST"],
        sitemap=False,
    )
    @throttled("landing")
    def landing_optout(self, token, all_shops=None, **kwargs):
        link = request.env["optical.landing.token"]._find(token)
        if not link:
            return self._gone()
        values = dict(self._values(link, token), all_shops=bool(all_shops))
        link._opt_out(all_shops=bool(all_shops))
        return self._render("optical_crm_sms.landing_opted_out", values, link)
