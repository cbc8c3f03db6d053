import hmac
import logging
import re

from odoo import http
from odoo.http import request

from odoo.addons.optical_crm.controllers.throttle import throttled

from ..tools.providers import SkebbyClient, TwilioClient, twilio_signature

_logger = logging.getLogger(__name__)
UUID_RE = re.compile(r"^[0-9a-f]{32}$")


class OpticalSmsDeliveryReports(http.Controller):
    """Delivery reports of the SMS providers: authenticated, idempotent."""

    def _provider(self, provider_id, provider_type):
        provider = (
            request.env["optical.sms.provider"].sudo().browse(provider_id).exists()
        )
        if provider and provider.provider_type == provider_type and provider.active:
            return provider
        return None

    @staticmethod
    def _answer(text, status=200):
        return request.make_response(
            text, headers=[("Content-Type", "text/plain")], status=status
        )

    @staticmethod
    def _skebby_secret_valid(provider, secret):
        """Whether ``secret`` is the report secret of ``provider`` (never when
        the provider has none)."""
        expected = provider.dlr_secret if provider else ""
        return bool(expected) and hmac.compare_digest(
            expected.encode(), secret.encode("utf-8", "replace")
        )

    @staticmethod
    def _twilio_signature_valid(provider, form):
        """Whether the request carries Twilio's signature of ``provider``: an
        empty auth token or an empty signature never validates."""
        httprequest = request.httprequest
        signature = httprequest.headers.get("X-Twilio-Signature", "")
        token = provider.auth_token if provider else ""
        if not (token and token.strip() and signature):
            return False
        path = httprequest.full_path.rstrip("?")
        urls = {httprequest.url, provider._optical_base_url().rstrip("/") + path}
        return any(
            hmac.compare_digest(
                twilio_signature(token, url, form).encode(),
                signature.encode("utf-8", "replace"),
            )
            for url in urls
        )

    @http.route(
        "/optical_sms/dlr/skebby/<int:provider_id>/<string:secret>",
        type="http",
        auth="public",
        methods=["GET", "POST"],
        csrf=False,
        save_session=False,
    )
    @throttled("dlr_skebby")
    def skebby_report(self, provider_id, secret, **params):
        """Skebby-family report: the provider signs nothing, the URL holds a secret."""
        provider = self._provider(provider_id, "skebby")
        if not self._skebby_secret_valid(provider, secret):
            _logger.warning("Refused SMS delivery report for provider %s", provider_id)
            return self._answer("Forbidden", 403)
        order_id, report = SkebbyClient.report_from_params(params)
        if not report or "\x00" in order_id:
            return self._answer("Bad parameters", 400)
        key = "uuid" if UUID_RE.match(order_id) else "ref"
        # stored, applied by a short job: never waits for a batch being sent
        request.env["optical.sms.report"].sudo()._optical_receive(
            provider, key, order_id, report
        )
        return self._answer("OK")

    @http.route(
        "/optical_sms/dlr/twilio/<int:provider_id>",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    @throttled("dlr_twilio")
    def twilio_report(self, provider_id, **params):
        """Twilio status callback, checked with its X-Twilio-Signature."""
        provider = self._provider(provider_id, "twilio")
        form = request.httprequest.form.to_dict()
        if not self._twilio_signature_valid(provider, form):
            _logger.warning("Refused SMS delivery report for provider %s", provider_id)
            return self._answer("Forbidden", 403)
        report = TwilioClient.report_from_params(form)
        if not report or "\x00" in report.ref:
            return self._answer("Bad parameters", 400)
        ref = request.httprequest.args.get("ref", "")
        key, value = ("uuid", ref) if UUID_RE.match(ref) else ("ref", report.ref)
        request.env["optical.sms.report"].sudo()._optical_receive(
            provider, key, value, report
        )
        return self._answer("OK")
