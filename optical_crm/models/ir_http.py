from werkzeug.exceptions import TooManyRequests

from odoo import models
from odoo.http import request


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _handle_error(cls, exception):
        # the throttle of the public routes answers 429 with Retry-After, also on
        # website pages (Odoo would replace it by an error page without the header)
        if isinstance(exception, TooManyRequests):
            return request.dispatcher.handle_error(exception)
        return super()._handle_error(exception)
