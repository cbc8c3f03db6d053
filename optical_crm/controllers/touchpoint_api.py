"""JSON endpoint for touchpoints sent by apps, chats and websites.

``POST /optical_crm/api/touchpoints`` with ``Authorization: Bearer <Odoo API key>``
and a JSON body ``{"touchpoints": [row, ...]}`` (or a bare list of rows). A row::

    {"external_ref": "chat-8812", "source": "chat",
     "datetime": "2024-05-02T10:15:00+02:00", "channel": "chat", "kind": "inquiry",
     "summary": "Asked for the price of daily lenses",
     "customer": {"ref": "C0042", "email": "anna@example.com",
                  "mobile": "+393331234567", "name": "Anna Bianchi"}}

The key's user works in its own shop (its main company) only: touchpoints are
recorded for that shop, ``(source, external_ref)`` is unique per shop, and the
customer is matched among the active customers that user may see in that shop
(shared customers and the shop's own), never another shop's. The customer is
matched by reference (the partner's Reference field), then email, then mobile
number (E.164); when nothing matches and a name is given, the customer is created
once, for the shop (a second row for the same person reuses it). Each row is
answered on its own: ``accepted``, ``duplicate`` (same source and external_ref
already recorded by the shop: nothing changed) or ``rejected`` with the reason. A
rejected row writes nothing. The sources our addons write themselves (``odoo``,
``import``... see ``optical.touchpoint._optical_internal_sources``) are refused.
"""

import json
import logging
import re
from datetime import datetime, timezone

import psycopg2

from odoo import http
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.http import request
from odoo.osv import expression
from odoo.tools import email_normalize

from .throttle import throttled

_logger = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
MAX_ROWS = 500
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
}


class RowRejected(Exception):
    """The row cannot be recorded; args[0] is the (translated) reason."""


class OpticalTouchpointApi(http.Controller):
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

    @http.route(
        "/optical_crm/api/touchpoints",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    @throttled("touchpoint_api", failure_statuses=(401,))
    def touchpoints(self):
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
        rows = payload.get("touchpoints") if isinstance(payload, dict) else payload
        if not isinstance(rows, list) or not rows:
            return self._error(
                400,
                env._(
                    "Send a JSON object with a non-empty list 'touchpoints' (or a "
                    "non-empty list of touchpoints)."
                ),
            )
        if len(rows) > MAX_ROWS:
            return self._error(
                413,
                env._(
                    "%(count)s touchpoints in one request: send at most %(max)s.",
                    count=len(rows),
                    max=MAX_ROWS,
                ),
            )
        results = [self._process_row(env, index, row) for index, row in enumerate(rows)]
        partner_ids = {r["partner_id"] for r in results if r.get("partner_id")}
        # the batch's profiles, in one pass: touchpoints weigh in the profile
        # only as purchases from other systems
        env["res.partner"]._optical_refresh_profile(
            partner_ids, parts=["purchases", "contact_lenses"]
        )
        summary = {
            status: sum(1 for r in results if r["status"] == status)
            for status in ("accepted", "duplicate", "rejected")
        }
        return self._json({"results": results, **summary})

    # ------------------------------------------------------------------
    def _process_row(self, env, index, row):
        result = {"index": index}
        if isinstance(row, dict) and isinstance(row.get("external_ref"), str):
            result["external_ref"] = row["external_ref"][:128]
        try:
            with env.cr.savepoint():
                result.update(self._record(env, row))
        except RowRejected as exc:
            result.update(status="rejected", reason=exc.args[0])
        except (ValidationError, UserError, AccessError) as exc:
            result.update(status="rejected", reason=str(exc.args[0]))
        except psycopg2.Error as exc:
            _logger.info(
                "touchpoint API row %s refused by the database: %s", index, exc
            )
            result.update(
                status="rejected",
                reason=env._("The database refused the row (invalid values)."),
            )
        return result

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

    def _record(self, env, row):
        if not isinstance(row, dict):
            raise RowRejected(env._("The row is not a JSON object."))
        external_ref = self._text(env, row, "external_ref", required=True)
        source = (self._text(env, row, "source") or "api").lower()
        if not SOURCE_RE.match(source):
            raise RowRejected(
                env._(
                    "'source' %(value)s is not allowed: use a short lower-case "
                    "name of your system (letters, digits, '-', '_', '.').",
                    value=source[:40],
                )
            )
        # the profiles are refreshed once, for the whole batch (see below)
        Touchpoint = env["optical.touchpoint"].with_context(
            optical_profile_deferred=True
        )
        reserved = Touchpoint._optical_internal_sources()
        if source in reserved:
            raise RowRejected(
                env._(
                    "'source' %(value)s is reserved for what Odoo records itself "
                    "(%(reserved)s): name your own system instead.",
                    value=source,
                    reserved=", ".join(sorted(reserved)),
                )
            )
        existing = Touchpoint._optical_find_existing(
            env.company, source, [external_ref]
        )[:1]
        if existing:
            return {
                "status": "duplicate",
                "touchpoint_id": existing.id,
                "partner_id": existing.partner_id.id,
            }
        moment = self._parse_datetime(env, row.get("datetime"))
        vals = {
            "datetime": moment,
            "channel": self._text(env, row, "channel", required=True),
            "kind": self._text(env, row, "kind", required=True),
            "summary": self._text(env, row, "summary"),
            "source": source,
            "external_ref": external_ref,
            "company_id": env.company.id,
        }
        # check everything but the customer before creating a customer
        error = Touchpoint._optical_vals_error(dict(vals, partner_id=-1))
        if error:
            raise RowRejected(error)
        partner, created = self._match_partner(env, row.get("customer"))
        vals["partner_id"] = partner.id
        touchpoint = Touchpoint.create(vals)
        return {
            "status": "accepted",
            "touchpoint_id": touchpoint.id,
            "partner_id": partner.id,
            "partner_created": created,
        }

    def _match_partner(self, env, customer):
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
