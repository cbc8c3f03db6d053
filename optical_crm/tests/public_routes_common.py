"""Helpers for attacking the public routes: hostile inputs, row counts, leaks."""

from urllib.parse import quote

from odoo.tools import SQL

# what an attacker sends where a token, a key or a text is expected
HOSTILE = (
    "' OR '1'='1' --",
    "1; DROP TABLE res_partner; --",
    "<script>alert('x')</script>",
    "../../../../etc/passwd",
    "..%2f..%2f..%2fetc%2fpasswd",
    "abc\x00def",
    "é😀" * 2000,
)
# the same, short enough for a URL (servers refuse request lines over 64 KB)
HOSTILE_URL = tuple(value[:300] for value in HOSTILE)
# tables a public route must not touch when it refuses a request
WATCHED_MODELS = (
    "res.partner",
    "optical.touchpoint",
    "optical.consent",
    "optical.contact.log",
    "mail.activity",
    "mail.blacklist",
    "phone.blacklist",
    "mailing.trace",
    "sms.sms",
)
# signs of an internal error or of data that a refusal must never show
LEAK_MARKERS = ("Traceback", "psycopg2", "odoo.exceptions", 'File "/')


def path_segment(value):
    return quote(value, safe="")


class PublicRouteMixin:
    """For HttpCase classes: count rows before and after, check answers."""

    watched_models = WATCHED_MODELS

    def _row_counts(self):
        self.env.flush_all()
        counts = {}
        for model in self.watched_models:
            if model in self.env:
                self.env.cr.execute(
                    SQL(
                        "SELECT COUNT(*) FROM %s",
                        SQL.identifier(self.env[model]._table),
                    )
                )
                counts[model] = self.env.cr.fetchone()[0]
        return counts

    def assertRefused(self, response, statuses, secrets=(), msg=None):
        """A refusal: expected status, no internal error, none of ``secrets``."""
        label = msg or response.request.url[:120]
        self.assertIn(response.status_code, statuses, label)
        body = response.text
        for marker in LEAK_MARKERS:
            self.assertNotIn(marker, body, label)
        for secret in secrets:
            self.assertNotIn(secret, body, label)

    def _clear_throttle(self):
        """Forget the failed attempts so far (the suite comes from one address)."""
        self.env["optical.public.throttle"].sudo().search([]).unlink()
