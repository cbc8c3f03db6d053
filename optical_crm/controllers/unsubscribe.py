"""Odoo's unsubscribe links, as our campaigns and cycles send them, throttled.

The SMS opt-out page (``/sms/<mailing>/<code>``) is protected by a 3-character
code only; the email unsubscribe pages by a signed token. Both count wrong codes
and tokens in the shared throttle of the public routes, and refuse a client that
keeps guessing.
"""

from werkzeug.exceptions import HTTPException, Unauthorized

from odoo.addons.mass_mailing.controllers.main import MassMailController
from odoo.addons.mass_mailing_sms.controllers.main import MailingSMSController

from . import throttle


class OpticalMailingSMSController(MailingSMSController):
    def _check_trace(self, mailing_id, trace_code):
        throttle.check("sms_unsubscribe")
        if "\x00" in trace_code:  # PostgreSQL refuses NUL characters
            result = {"error": "trace_error"}
        else:
            result = super()._check_trace(mailing_id, trace_code)
        if not result.get("trace"):
            throttle.failed("sms_unsubscribe")
        return result


class OpticalMassMailController(MassMailController):
    def _check_mailing_email_token(
        self, mailing_id, document_id, email, hash_token, required_mailing_id=False
    ):
        throttle.check("mail_unsubscribe")
        if hash_token and not str(hash_token).isascii():
            # Odoo compares tokens with hmac.compare_digest: ASCII only
            throttle.failed("mail_unsubscribe")
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
                throttle.failed("mail_unsubscribe")
            raise
