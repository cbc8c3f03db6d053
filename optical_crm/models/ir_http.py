from werkzeug.exceptions import TooManyRequests

from odoo import models
from odoo.http import request

# link-preview fetchers and crawlers beyond Odoo's own list (``ir.http.bots``:
# "bot", "facebookexternalhit", "whatsapp", "preview", ...): they open the links
# of a message to show a preview, they are not the customer clicking
LINK_PREVIEW_AGENTS = (
    "slack-imgproxy",
    "skypeuripreview",
    "viber",
    "signal",
    "discord",
    "telegram",
    "linkedin",
    "applebot",
    "iframely",
    "embedly",
    "snapchat",
    "kakaotalk-scrap",
    "mastodon",
    "bitlybot",
)


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _handle_error(cls, exception):
        # the throttle of the public routes answers 429 with Retry-After, also on
        # website pages (Odoo would replace it by an error page without the header)
        if isinstance(exception, TooManyRequests):
            return request.dispatcher.handle_error(exception)
        return super()._handle_error(exception)

    @classmethod
    def _optical_is_link_preview(cls):
        """Whether the current request is a link preview or a crawler, not a person:
        a ``HEAD`` request, or a known preview agent (WhatsApp, Facebook, Twitter,
        Slack, Telegram, Apple, LinkedIn, Discord, Skype, Google, ...). Such requests
        never count as visits or clicks, and never use up a one-time link."""
        httprequest = request.httprequest
        if httprequest.method == "HEAD":
            return True
        agent = (httprequest.user_agent.string or "").lower()
        return cls.is_a_bot() or any(name in agent for name in LINK_PREVIEW_AGENTS)
