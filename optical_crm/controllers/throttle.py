"""One throttle for every public route of the Optical CRM addons.

Use the decorator under ``@http.route``::

    @http.route("/o/<string:token>", type="http", auth="public")
    @throttled("landing")
    def landing(self, token): ...

The route always runs first: a valid request (a known token, a right secret or
signature) is answered whoever sends it, so customers sharing an address with an
attacker are never blocked. An answer with a status in ``failure_statuses`` (or an
``HTTPException`` with one) is a failed attempt: it is counted, and a client
(address) that already failed ``MAX_FAILURES`` times on the same route family
within the window gets ``429 Too Many Requests`` with ``Retry-After`` instead of
the answer. Routes whose failures are not visible in the status (Odoo's SMS
unsubscribe page redirects) call :func:`refuse` themselves.

Clients are IPv4 addresses, or IPv6 networks of 64 bits (one customer line gets a
whole /64 and can change address inside it at will). Behind a reverse proxy, Odoo
must run with ``proxy_mode`` so that the address is the customer's, not the
proxy's (see the README).
"""

import functools
import ipaddress

from werkzeug.exceptions import HTTPException, TooManyRequests

from odoo.http import request

FAILURE_STATUSES = (401, 403, 404)
IPV6_PREFIX = 64


def client_key(address):
    """The throttled client of a remote address: the IPv4 address itself, the
    /64 network of an IPv6 address (IPv4 mapped in IPv6 counts as IPv4)."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return (address or "unknown")[:64]
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/{IPV6_PREFIX}", strict=False))
    return str(ip)


def _client():
    return client_key(request.httprequest.remote_addr)


def _throttle():
    return request.env["optical.public.throttle"].sudo()


def refuse(route):
    """Count a failed attempt of the client on ``route``; raise ``429 Too Many
    Requests`` when the client had already used up its failed attempts."""
    throttle, client = _throttle(), _client()
    retry_after = throttle._optical_retry_after(route, client)
    throttle._optical_record_failure(route, client)
    if retry_after:
        raise TooManyRequests(
            request.env._("Too many failed attempts: try again later."),
            retry_after=retry_after,
        )


def throttled(route, failure_statuses=FAILURE_STATUSES):
    def decorator(endpoint):
        @functools.wraps(endpoint)
        def wrapper(self, *args, **kwargs):
            try:
                response = endpoint(self, *args, **kwargs)
            except HTTPException as exc:
                if exc.code in failure_statuses:
                    refuse(route)
                raise
            # a Response, or an HTTPException returned (request.not_found())
            status = getattr(response, "status_code", None) or getattr(
                response, "code", 200
            )
            if status in failure_statuses:
                refuse(route)
            return response

        return wrapper

    return decorator
