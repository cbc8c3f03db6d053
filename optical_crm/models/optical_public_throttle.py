"""Failed attempts on the public routes, per client address and route.

Every public controller of the Optical CRM addons (landing pages, delivery reports,
touchpoint API, unsubscribe links) counts its failed attempts (wrong token,
secret, signature or API key) here: after ``MAX_FAILURES`` of them from one client
(an IPv4 address, an IPv6 /64 network) within ``WINDOW``, further failed attempts
are answered ``429 Too Many Requests`` with a ``Retry-After`` header until the
window ends. A valid request is always answered (see ``controllers/throttle.py``).
The table is shared by every Odoo worker and server of the database; failures are
recorded in the request's transaction or, when the request is rolled back, in one
of their own.
"""

import logging
import math
from datetime import timedelta

import psycopg2

from odoo import api, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

MAX_FAILURES = 10
WINDOW = timedelta(minutes=10)


class OpticalPublicThrottle(models.Model):
    _name = "optical.public.throttle"
    _description = "Failed attempts on public routes"
    _order = "window_start desc, id desc"
    _rec_name = "client"
    _log_access = False

    route = fields.Char(required=True, readonly=True)
    client = fields.Char(string="Client address", required=True, readonly=True)
    failures = fields.Integer(readonly=True)
    window_start = fields.Datetime(required=True, readonly=True)

    _sql_constraints = [
        (
            "route_client_unique",
            "unique(route, client)",
            "One counter per route and client address.",
        ),
    ]

    @api.model
    def _optical_retry_after(self, route, client):
        """Seconds ``client`` must wait before trying ``route`` again (0: go)."""
        now = fields.Datetime.now()
        self.env.cr.execute(
            SQL(
                """
                SELECT window_start FROM optical_public_throttle
                 WHERE route = %s AND client = %s AND failures >= %s
                   AND window_start > %s
                """,
                route,
                client,
                MAX_FAILURES,
                now - WINDOW,
            )
        )
        row = self.env.cr.fetchone()
        if not row:
            return 0
        return max(1, math.ceil((row[0] + WINDOW - now).total_seconds()))

    @api.model
    def _optical_record_failure(self, route, client):
        """Count one failed attempt of ``client`` on ``route``; return the count.

        Counted in the current transaction, and again in a transaction of its own
        if the current one is rolled back (a route refusing by an exception).
        Concurrent failures of one client are serialised by the upsert's row lock.
        """
        failures = self._optical_upsert_failure(route, client)
        registry = self.env.registry

        def count_after_rollback():
            for _attempt in range(3):
                try:
                    with registry.cursor() as cr:
                        self.with_env(self.env(cr=cr))._optical_upsert_failure(
                            route, client
                        )
                    return
                except psycopg2.errors.SerializationFailure:
                    continue
            _logger.info("could not count a failed attempt on %s", route)

        self.env.cr.postrollback.add(count_after_rollback)
        if failures == MAX_FAILURES:
            _logger.warning(
                "%s failed attempts on public route %s from %s: throttled for %s",
                failures,
                route,
                client,
                WINDOW,
            )
        return failures

    @api.model
    def _optical_upsert_failure(self, route, client):
        now = fields.Datetime.now()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO optical_public_throttle AS t
                       (route, client, failures, window_start)
                VALUES (%(route)s, %(client)s, 1, %(now)s)
                ON CONFLICT (route, client) DO UPDATE SET
                    failures = CASE WHEN t.window_start <= %(start)s THEN 1
                                    ELSE t.failures + 1 END,
                    window_start = CASE WHEN t.window_start <= %(start)s
                                        THEN %(now)s ELSE t.window_start END
                RETURNING failures
                """,
                route=route[:64],
                client=client[:64],
                now=now,
                start=now - WINDOW,
            )
        )
        return self.env.cr.fetchone()[0]

    @api.autovacuum
    def _gc_throttle(self):
        """Forget counters whose window ended more than a day ago."""
        self.env.cr.execute(
            SQL(
                "DELETE FROM optical_public_throttle WHERE window_start < %s",
                fields.Datetime.now() - WINDOW - timedelta(days=1),
            )
        )
