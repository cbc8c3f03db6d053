"""One throttle for every public route of the Optical CRM addons.

Use the decorator under ``@http.route``::

    @http.route("/o/<string:token>", type="http", auth="public")
    @throttled("landing")
    def landing(self, token): ...

Before the route runs, a client (address) that failed ``MAX_FAILURES`` times on
the same route family within the window gets ``429 Too Many Requests`` with
``Retry-After``; after it, an answer with a status in ``failure_statuses`` (or an
``HTTPException`` with one) counts as a failed attempt. Routes whose failures are
not visible in the status (Odoo's SMS unsubscribe page redirects) call
:func:`check` and :func:`failed` themselves.
"""

import functools

from werkzeug.exceptions import HTTPException, TooManyRequests

from odoo.http import request

FAILURE_STATUSES = (401, 403, 404)


def _client():
    return request.httprequest.remote_addr or "unknown"


def _throttle():
    return request.env["optical.public.throttle"].sudo()


def check(route):
    """Raise ``429 Too Many Requests`` when the client is throttled on ``route``."""
    retry_after = _throttle()._optical_retry_after(route, _client())
    if retry_after:
        raise TooManyRequests(
            request.env._("Too many failed attempts: try again later."),
            retry_after=retry_after,
        )


def failed(route):
    """Count a failed attempt of the client on ``route``."""
    _throttle()._optical_record_failure(route, _client())


def throttled(route, failure_statuses=FAILURE_STATUSES):
    def decorator(endpoint):
        @functools.wraps(endpoint)
        def wrapper(self, *args, **kwargs):
            check(route)
            try:
                response = endpoint(self, *args, **kwargs)
            except HTTPException as exc:
                if exc.code in failure_statuses:
                    failed(route)
                raise
            # a Response, or an HTTPException returned (request.not_found())
            status = getattr(response, "status_code", None) or getattr(
                response, "code", 200
            )
            if status in failure_statuses:
                failed(route)
            return response

        return wrapper

    return decorator
