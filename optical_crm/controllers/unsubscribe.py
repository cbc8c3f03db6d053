"""Odoo's unsubscribe links, as our campaigns and cycles send them: throttled, and
the opt-out is the sending shop's.

The SMS opt-out page (``/sms/<mailing>/<code>``) is protected by a 3-character
code only; the email unsubscribe pages by a signed token. Both count wrong codes
and tokens in the shared throttle of the public routes, and refuse a client that
keeps guessing.

A message of one of our shops (``mailing.mailing._optical_sending_company``) is
unsubscribed from that shop only: marketing consent revoked in its ledger, the
number or address not blacklisted, so that the other shops of the chain may still
write to the customer. The customer can stop every shop: the SMS page has a
checkbox for it, the email page Odoo's blocklist button; both blacklist the number
or the address, which revokes the consent for every shop.
"""

from werkzeug.exceptions import HTTPException, Unauthorized

from odoo import http, tools
from odoo.http import request

from odoo.addons.mass_mailing.controllers.main import MassMailController
from odoo.addons.mass_mailing_sms.controllers.main import MailingSMSController
from odoo.addons.phone_validation.tools import phone_validation

from . import throttle


def _sending_shop(mailing_id):
    mailing = request.env["mailing.mailing"].sudo().browse(int(mailing_id)).exists()
    return mailing and mailing._optical_sending_company()


class OpticalMailingSMSController(MailingSMSController):
    def _check_trace(self, mailing_id, trace_code):
        if "\x00" in trace_code:  # PostgreSQL refuses NUL characters
            result = {"error": "trace_error"}
        else:
            result = super()._check_trace(mailing_id, trace_code)
        if not result.get("trace"):
            throttle.refuse("sms_unsubscribe")
        return result

    @http.route()
    def blacklist_page(self, mailing_id, trace_code, **post):
        response = super().blacklist_page(mailing_id, trace_code, **post)
        if getattr(response, "qcontext", None) is not None:
            response.qcontext["optical_shop"] = _sending_shop(mailing_id)
        return response

    @http.route()
    def blacklist_number(self, mailing_id, trace_code, **post):
        shop = _sending_shop(mailing_id)
        if not shop or post.get("optical_all_shops"):
            return super().blacklist_number(mailing_id, trace_code, **post)
        check_res = self._check_trace(mailing_id, trace_code)
        if not check_res.get("trace"):
            return request.redirect("/odoo")
        traces = check_res["trace"]
        if traces.mass_mailing_id.contact_list_ids:  # mailing lists: Odoo's way
            return super().blacklist_number(mailing_id, trace_code, **post)
        sms_number = post.get("sms_number", "").strip(" ")
        number = self._optical_sanitize(sms_number)
        error = False
        if not number:
            error = request.env._("Invalid number %(number)s", number=sms_number)
        elif not traces.filtered(lambda trace: trace.sms_number == number):
            error = request.env._("Number %(number)s not found", number=number)
        else:
            request.env["res.partner"]._optical_record_unsubscribe(
                [("phone_sanitized", "=", number)], ("sms",), company=shop
            )
        return request.render(
            "mass_mailing_sms.blacklist_number",
            {
                "mailing_id": mailing_id,
                "trace_code": trace_code,
                "sms_number": sms_number,
                "lists_optin": request.env["mailing.list"],
                "lists_optout": request.env["mailing.list"],
                "unsubscribe_error": error,
                "optical_shop": shop,
            },
        )

    @staticmethod
    def _optical_sanitize(sms_number):
        """The number as Odoo's opt-out page reads it (E.164 when it can)."""
        country = request.env["res.country"].search(
            [("code", "=", request.geoip.country_code)], limit=1
        )
        sanitized = phone_validation.phone_format(
            sms_number,
            country.code,
            country.phone_code,
            force_format="E164",
            raise_exception=False,
        )
        return sanitized or sms_number


class OpticalMassMailController(MassMailController):
    def _check_mailing_email_token(
        self, mailing_id, document_id, email, hash_token, required_mailing_id=False
    ):
        if hash_token and not str(hash_token).isascii():
            # Odoo compares tokens with hmac.compare_digest: ASCII only
            throttle.refuse("mail_unsubscribe")
            raise Unauthorized()
        try:
            return super()._check_mailing_email_token(
                mailing_id,
                document_id,
                email,
                hash_token,
                required_mailing_id=required_mailing_id,
            )
        except HTTPException as exc:
            if exc.code in (400, 401, 403, 404):
                throttle.refuse("mail_unsubscribe")
            raise

    @http.route()
    def mailing_unsubscribe(
        self, mailing_id, document_id=None, email=None, hash_token=None
    ):
        # the link unsubscribes when opened: a link preview or a link scanner
        # opening it is not the customer asking (one-click unsubscribe is a POST)
        if (
            request.httprequest.method != "POST"
            and request.env["ir.http"]._optical_is_link_preview()
        ):
            return request.make_response(
                request.env._("Open this link in your browser to unsubscribe."),
                headers=[("Content-Type", "text/plain; charset=utf-8")],
            )
        return super().mailing_unsubscribe(
            mailing_id, document_id=document_id, email=email, hash_token=hash_token
        )

    def _mailing_unsubscribe_from_document(
        self, mailing, document_id, email, hash_token
    ):
        shop = mailing._optical_sending_company()
        email_normalized = tools.email_normalize(email)
        if not shop or not email_normalized:
            return super()._mailing_unsubscribe_from_document(
                mailing, document_id, email, hash_token
            )
        request.env["res.partner"]._optical_record_unsubscribe(
            [("email_normalized", "=", email_normalized)], ("email",), company=shop
        )
        return request.render(
            "mass_mailing.page_mailing_unsubscribe",
            dict(
                self._prepare_mailing_subscription_values(
                    mailing, document_id, email, hash_token
                ),
                last_action="optical_shop_optout",
                unsubscribed_name=request.env._(
                    "You will no longer receive marketing emails from %(shop)s. To "
                    "receive no email from any shop of the chain, choose “Exclude "
                    "Me”.",
                    shop=shop.name,
                ),
            ),
        )
