"""What the JSON endpoints of other systems share (touchpoints, purchases).

One API key, one shop: ``Authorization: Bearer <Odoo API key>``; the key's user
works in its main company (its shop) only. The body is JSON, at most
``MAX_BODY`` bytes and ``MAX_ROWS`` rows; each row (a touchpoint, a purchase
document) is answered on its own, and a rejected row writes nothing. Customers
are matched among the active customers that user may see in that shop (shared
customers and the shop's own), never another shop's: by reference (the
partner's Reference field), then email, then mobile number (E.164); when
nothing matches and a name is given, the customer is created once, for the shop.
"""

import json
import logging
import math
import re
from datetime import datetime, timezone

import psycopg2

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.http import request
from odoo.osv import expression
from odoo.tools import email_normalize

_logger = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
MAX_ROWS = 500
# amounts and quantities beyond this are mistakes (and overflow the columns)
MAX_NUMBER = 1e11
SOURCE_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,31}$")
TEXT_LIMITS = {
    "external_ref": 128,
    "summary": 500,
    "name": 128,
    "channel": 32,
    "kind": 32,
    "ref": 64,
    "email": 254,
    "mobile": 32,
    "document": 64,
    "description": 500,
    "default_code": 64,
    "barcode": 64,
    "category": 32,
    "currency": 8,
}


class RowRejected(Exception):
    """The row cannot be recorded; args[0] is the (translated) reason, and
    ``details`` an optional list of the reasons of its parts (the lines of a
    purchase document): ``[{"line": 2, "reason": "..."}]``."""

    def __init__(self, reason, details=None):
        super().__init__(reason)
        self.details = details or []


class OpticalApiMixin:
    """Helpers of the API controllers: authentication, body, rows, customers."""

    def _json(self, data, status=200, headers=None):
        return request.make_json_response(data, status=status, headers=headers)

    def _error(self, status, message, headers=None):
        return self._json({"error": message}, status=status, headers=headers)

    def _authenticate(self):
        header = request.httprequest.headers.get("Authorization", "")
        match = re.match(r"^bearer\s+(\S+)\s*$", header, re.IGNORECASE)
        if not match:
            return None
        return request.env["res.users.apikeys"]._check_credentials(
            scope="rpc", key=match.group(1)
        )

    def _open_request(self, list_key):
        """Authenticate the key and read the body's rows.

        :param list_key: the body is ``{list_key: [row, ...]}`` or a bare list.
        :return: ``(env, rows)``, or the error response to send (401, 403, 413,
            400), whose message tells what to fix.
        """
        uid = self._authenticate()
        if not uid:
            return self._error(
                401,
                request.env._(
                    "Missing or invalid API key: send 'Authorization: Bearer <key>' "
                    "with an Odoo API key."
                ),
                headers=[("WWW-Authenticate", 'Bearer realm="optical_crm"')],
            )
        request.update_env(user=uid)
        # the key works in its user's shop only: record rules, matching and
        # uniqueness follow that one company
        request.update_context(allowed_company_ids=request.env.user.company_id.ids)
        env = request.env
        if not env.user.has_group("optical_crm.group_optical_user"):
            return self._error(
                403,
                env._("This API key's user is not an Optical CRM user."),
            )
        length = request.httprequest.content_length
        if length is not None and length > MAX_BODY:
            return self._error(
                413, env._("The body is larger than %(max)s bytes.", max=MAX_BODY)
            )
        raw = request.httprequest.get_data(cache=False)
        if len(raw) > MAX_BODY:
            return self._error(
                413, env._("The body is larger than %(max)s bytes.", max=MAX_BODY)
            )
        try:
            payload = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            return self._error(400, env._("The body is not valid UTF-8 JSON."))
        rows = payload.get(list_key) if isinstance(payload, dict) else payload
        if not isinstance(rows, list) or not rows:
            return self._error(
                400,
                env._(
                    "Send a JSON object with a non-empty list '%(key)s' (or that "
                    "non-empty list alone).",
                    key=list_key,
                ),
            )
        if len(rows) > MAX_ROWS:
            return self._error(
                413,
                env._(
                    "%(count)s rows in '%(key)s' in one request: send at most "
                    "%(max)s.",
                    count=len(rows),
                    key=list_key,
                    max=MAX_ROWS,
                ),
            )
        return env, rows

    def _answer_row(self, env, index, record, row, label):
        """``record(env, row)`` in a savepoint: its result, or the row rejected
        with the reason (nothing it wrote stays). ``label``: the row's
        reference for the answer, ``(key, value)``."""
        result = {"index": index}
        if label[1]:
            result[label[0]] = label[1]
        try:
            with env.cr.savepoint():
                result.update(record(env, row))
        except RowRejected as exc:
            result.update(status="rejected", reason=exc.args[0])
            if exc.details:
                result["lines"] = exc.details
        except (ValidationError, UserError, AccessError) as exc:
            result.update(status="rejected", reason=str(exc.args[0]))
        except psycopg2.Error as exc:
            _logger.info("API row %s refused by the database: %s", index, exc)
            result.update(
                status="rejected",
                reason=env._("The database refused the row (invalid values)."),
            )
        return result

    @staticmethod
    def _label(row, key, limit=128):
        """The row's own reference, echoed in its answer (when it has one)."""
        if isinstance(row, dict) and isinstance(row.get(key), str):
            return key, row[key][:limit]
        return key, False

    def _summary(self, results):
        return {
            status: sum(1 for r in results if r["status"] == status)
            for status in ("accepted", "duplicate", "rejected")
        }

    # ------------------------------------------------------------------ values
    def _text(self, env, row, key, required=False):
        value = row.get(key)
        if value is None or value == "":
            if required:
                raise RowRejected(env._("'%(field)s' is missing.", field=key))
            return False
        if not isinstance(value, str):
            raise RowRejected(env._("'%(field)s' must be a string.", field=key))
        if "\x00" in value:
            raise RowRejected(env._("'%(field)s' contains a NUL character.", field=key))
        value = value.strip()
        limit = TEXT_LIMITS.get(key)
        if limit and len(value) > limit:
            raise RowRejected(
                env._(
                    "'%(field)s' is longer than %(max)s characters.",
                    field=key,
                    max=limit,
                )
            )
        return value

    def _number(self, env, row, key, required=False, default=None):
        value = row.get(key)
        if value is None or value == "":
            if required:
                raise RowRejected(env._("'%(field)s' is missing.", field=key))
            return default
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise RowRejected(
                env._(
                    "'%(field)s' must be a JSON number (e.g. 12.5), not %(value)s.",
                    field=key,
                    value=json.dumps(value)[:40],
                )
            )
        if not math.isfinite(value) or abs(value) >= MAX_NUMBER:
            raise RowRejected(
                env._("'%(field)s' %(value)s is out of range.", field=key, value=value)
            )
        return float(value)

    def _parse_datetime(self, env, value):
        if not value:
            raise RowRejected(env._("The touchpoint has no date and time."))
        if not isinstance(value, str):
            raise RowRejected(
                env._("'datetime' must be an ISO 8601 string (2024-05-02T10:15:00Z).")
            )
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise RowRejected(
                env._(
                    "'datetime' %(value)s is not ISO 8601 "
                    "(e.g. 2024-05-02T10:15:00+02:00).",
                    value=value[:40],
                )
            ) from exc
        if moment.tzinfo:
            moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
        return moment

    def _source(self, env, row):
        """The row's source system (default ``api``): a short lower-case name,
        none of those Odoo writes itself."""
        source = (self._text(env, row, "source") or "api").lower()
        if not SOURCE_RE.match(source):
            raise RowRejected(
                env._(
                    "'source' %(value)s is not allowed: use a short lower-case "
                    "name of your system (letters, digits, '-', '_', '.').",
                    value=source[:40],
                )
            )
        reserved = env["optical.touchpoint"]._optical_internal_sources()
        if source in reserved:
            raise RowRejected(
                env._(
                    "'source' %(value)s is reserved for what Odoo records itself "
                    "(%(reserved)s): name your own system instead.",
                    value=source,
                    reserved=", ".join(sorted(reserved)),
                )
            )
        return source

    # --------------------------------------------------------------- customers
    def _match_partner(self, env, customer):
        """``(partner, created)``: the customer of the row in the key's shop."""
        if not isinstance(customer, dict) or not customer:
            raise RowRejected(
                env._(
                    "The touchpoint has no customer: send 'customer' with 'ref', "
                    "'email' or 'mobile'."
                )
            )
        # the customers this user may see in its shop, never another shop's
        Partner = env["res.partner"]
        in_shop = [("company_id", "in", [False, env.company.id])]
        ref = self._text(env, customer, "ref")
        email_raw = self._text(env, customer, "email")
        mobile_raw = self._text(env, customer, "mobile")
        name = self._text(env, customer, "name")
        email = email_raw and email_normalize(email_raw)
        if email_raw and not email:
            raise RowRejected(
                env._("'email' %(value)s is not a valid address.", value=email_raw[:64])
            )
        mobile = False
        if mobile_raw:
            mobile = Partner._phone_format(
                number=mobile_raw,
                country=env.company.country_id or env.ref("base.it"),
                force_format="E164",
            )
            if not mobile:
                raise RowRejected(
                    env._(
                        "'mobile' %(value)s is not a valid phone number (use "
                        "E.164, e.g. +393331234567).",
                        value=mobile_raw[:64],
                    )
                )
        if not (ref or email or mobile):
            raise RowRejected(
                env._("Identify the customer with 'ref', 'email' or 'mobile'.")
            )
        for field, value in (
            ("ref", ref),
            ("email_normalized", email),
            ("phone_sanitized", mobile),
        ):
            if not value:
                continue
            found = Partner.search(in_shop + [(field, "=", value)], limit=2)
            if len(found) == 1:
                return found, False
            if len(found) > 1:
                raise RowRejected(
                    env._(
                        "Several customers have %(field)s %(value)s: send the "
                        "customer's 'ref' to choose one.",
                        field=field.split("_", 1)[0],
                        value=value[:64],
                    )
                )
        archived = Partner.with_context(active_test=False).search_count(
            in_shop
            + [("active", "=", False)]
            + expression.OR(
                [(field, "=", value)]
                for field, value in (
                    ("ref", ref),
                    ("email_normalized", email),
                    ("phone_sanitized", mobile),
                )
                if value
            ),
            limit=1,
        )
        if archived:
            raise RowRejected(
                env._(
                    "The customer with this ref, email or mobile is archived: "
                    "restore the customer in Odoo first."
                )
            )
        if not name:
            raise RowRejected(
                env._(
                    "No customer matches this ref, email or mobile; send 'name' to "
                    "create the customer."
                )
            )
        partner = (
            env["res.partner"]
            .sudo()
            .create(
                {
                    "name": name,
                    "ref": ref,
                    "email": email,
                    "mobile": mobile,
                    "is_company": False,
                    "customer_rank": 1,
                    "company_id": env.company.id,
                }
            )
        )
        return partner.with_env(env), True
