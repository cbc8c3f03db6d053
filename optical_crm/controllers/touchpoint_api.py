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
Purchases with their amounts go to ``/optical_crm/api/purchases``
(``purchase_api.py``); the shared rules are in ``api_common.py``.
"""

from odoo import http

from .api_common import OpticalApiMixin, RowRejected
from .throttle import throttled


class OpticalTouchpointApi(OpticalApiMixin, http.Controller):
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
        opened = self._open_request("touchpoints")
        if not isinstance(opened, tuple):
            return opened
        env, rows = opened
        results = [
            self._answer_row(
                env, index, self._record, row, self._label(row, "external_ref")
            )
            for index, row in enumerate(rows)
        ]
        partner_ids = {r["partner_id"] for r in results if r.get("partner_id")}
        # the batch's profiles, in one pass: touchpoints weigh in the profile
        # only as purchases from other systems
        env["res.partner"]._optical_refresh_profile(
            partner_ids, parts=["purchases", "contact_lenses"]
        )
        return self._json({"results": results, **self._summary(results)})

    # ------------------------------------------------------------------
    def _record(self, env, row):
        if not isinstance(row, dict):
            raise RowRejected(env._("The row is not a JSON object."))
        external_ref = self._text(env, row, "external_ref", required=True)
        source = self._source(env, row)
        # the profiles are refreshed once, for the whole batch (touchpoints())
        Touchpoint = env["optical.touchpoint"].with_context(
            optical_profile_deferred=True
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
