"""JSON endpoint for purchases made in other systems (tills, e-commerce, the
shop's former management software): every sale counts, wherever it was made.

``POST /optical_crm/api/purchases`` with ``Authorization: Bearer <Odoo API key>``
and a JSON body ``{"purchases": [document, ...]}`` (or a bare list of
documents). A document (a receipt, an invoice of the other system)::

    {"document": "R-2024-0042", "source": "till",
     "datetime": "2024-05-02T10:15:00+02:00", "channel": "store",
     "currency": "EUR",
     "customer": {"ref": "C0042", "email": "anna@example.com", "name": "Anna"},
     "lines": [
         {"default_code": "CL-DAILY-30", "quantity": 2, "amount": 58.0},
         {"barcode": "8001234567890", "amount": 120.0, "description": "Frame"},
         {"category": "eye_exam", "amount": 35.0}]}

Each line names the product (its internal reference ``default_code`` or its
``barcode``, among the shop's products and the shared ones) or only its optical
``category``; ``quantity`` (default 1, packs for contact lenses, never 0) and
``amount`` (required: the line's total without taxes, in the shop's currency;
negative for a return) are JSON numbers.

Authentication, size limits (1 MB, 500 documents and 500 lines in all), the
customer matching and the reserved sources are those of the touchpoint API
(``api_common.py``). Each document is answered on its own and recorded whole or
not at all: ``accepted`` (one purchase touchpoint per line, ``external_ref``
``<document>#<line number>``, ``document_ref`` the document number, so that the
sales ledger counts the lines as one sale), ``duplicate`` (the shop already has
this document from this source: nothing changed, whatever the document says
now) or ``rejected`` with the reason, and ``lines`` with the reason of each line
rejected.
"""

from odoo import http

from .api_common import MAX_ROWS, OpticalApiMixin, RowRejected
from .throttle import throttled


class OpticalPurchaseApi(OpticalApiMixin, http.Controller):
    @http.route(
        "/optical_crm/api/purchases",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    @throttled("touchpoint_api", failure_statuses=(401,))
    def purchases(self):
        opened = self._open_request("purchases")
        if not isinstance(opened, tuple):
            return opened
        env, documents = opened
        lines = sum(
            len(document["lines"])
            for document in documents
            if isinstance(document, dict) and isinstance(document.get("lines"), list)
        )
        if lines > MAX_ROWS:
            return self._error(
                413,
                env._(
                    "%(count)s purchase lines in one request: send at most %(max)s.",
                    count=lines,
                    max=MAX_ROWS,
                ),
            )
        results = [
            self._answer_row(
                env,
                index,
                self._record_purchase,
                document,
                self._label(document, "document", 64),
            )
            for index, document in enumerate(documents)
        ]
        partner_ids = {r["partner_id"] for r in results if r.get("partner_id")}
        # the batch's profiles, in one pass (the ledger lines are already there)
        env["res.partner"]._optical_refresh_profile(
            partner_ids, parts=["purchases", "contact_lenses"]
        )
        return self._json({"results": results, **self._summary(results)})

    # ------------------------------------------------------------------
    def _record_purchase(self, env, document):
        if not isinstance(document, dict):
            raise RowRejected(env._("The purchase document is not a JSON object."))
        number = self._text(env, document, "document", required=True)
        source = self._source(env, document)
        existing = self._recorded_document(env, source, number)
        if existing:
            return {
                "status": "duplicate",
                "touchpoint_ids": existing.ids,
                "partner_id": existing.partner_id[:1].id,
            }
        # the profiles are refreshed once, for the whole batch (purchases())
        Touchpoint = env["optical.touchpoint"].with_context(
            optical_profile_deferred=True
        )
        lines = document.get("lines")
        moment = self._parse_datetime(
            env, self._text(env, document, "datetime", required=True)
        )
        currency = self._text(env, document, "currency")
        if currency and currency.upper() != env.company.currency_id.name:
            raise RowRejected(
                env._(
                    "The amounts are in %(currency)s: send them in the shop's "
                    "currency, %(shop_currency)s.",
                    currency=currency,
                    shop_currency=env.company.currency_id.name,
                )
            )
        common = {
            "datetime": moment,
            "channel": self._text(env, document, "channel") or "store",
            "kind": "purchase",
            "source": source,
            "document_ref": number,
            "company_id": env.company.id,
        }
        error = Touchpoint._optical_vals_error(dict(common, partner_id=-1))
        if error:
            raise RowRejected(error)
        if not isinstance(lines, list) or not lines:
            raise RowRejected(
                env._(
                    "The purchase document has no lines: send 'lines', a non-empty "
                    "list of what was bought."
                )
            )
        vals_list = self._purchase_lines(env, number, lines, common)
        refs = [vals["external_ref"] for vals in vals_list]
        taken = Touchpoint._optical_find_existing(env.company, source, refs)
        if taken:
            raise RowRejected(
                env._(
                    "Other touchpoints of source %(system)s already have the "
                    "references %(refs)s: send this document with another source.",
                    system=source,
                    refs=", ".join(sorted(taken.mapped("external_ref"))),
                )
            )
        # check everything but the customer before creating a customer
        partner, created = self._match_partner(env, document.get("customer"))
        touchpoints = Touchpoint.create(
            [dict(vals, partner_id=partner.id) for vals in vals_list]
        )
        return {
            "status": "accepted",
            "touchpoint_ids": touchpoints.ids,
            "partner_id": partner.id,
            "partner_created": created,
        }

    def _purchase_lines(self, env, number, lines, common):
        """The touchpoint values of the document's lines, or the document
        rejected with the reason of each line rejected."""
        Touchpoint = env["optical.touchpoint"]
        vals_list, errors = [], []
        for line_number, line in enumerate(lines, 1):
            try:
                vals = dict(
                    self._purchase_line(env, line),
                    external_ref=f"{number}#{line_number}",
                    **common,
                )
                error = Touchpoint._optical_vals_error(dict(vals, partner_id=-1))
                if error:
                    raise RowRejected(error)
                vals_list.append(vals)
            except RowRejected as exc:
                errors.append({"line": line_number, "reason": exc.args[0]})
        if errors:
            raise RowRejected(
                env._(
                    "%(count)s of the %(total)s lines are rejected: nothing is "
                    "recorded for this document.",
                    count=len(errors),
                    total=len(lines),
                ),
                errors,
            )
        return vals_list

    def _recorded_document(self, env, source, number):
        """The touchpoints the shop already has for this document of this
        source (every one, whatever the key's user may read: the document
        number is the shop's)."""
        return (
            env["optical.touchpoint"]
            .sudo()
            .search(
                [
                    ("company_id", "=", env.company.id),
                    ("source", "=", source),
                    ("document_ref", "=", number),
                ],
                order="id",
            )
        )

    def _purchase_line(self, env, line):
        """The touchpoint values of one line: what was bought, how many, for
        how much."""
        if not isinstance(line, dict):
            raise RowRejected(env._("The line is not a JSON object."))
        product = self._find_product(env, line)
        category = self._text(env, line, "category")
        if not (product or category):
            raise RowRejected(
                env._(
                    "The line does not say what was bought: send the product's "
                    "'default_code' or 'barcode', or its optical 'category'."
                )
            )
        quantity = self._number(env, line, "quantity", default=1.0)
        if not quantity:
            raise RowRejected(env._("'quantity' must not be 0."))
        amount = self._number(env, line, "amount", required=True)
        category = category or product.optical_category or False
        labels = dict(
            env["optical.touchpoint"]
            ._fields["optical_category"]
            ._description_selection(env)
        )
        return {
            "product_id": product.id or False,
            "optical_category": category,
            "quantity": quantity,
            "amount": amount,
            "summary": self._text(env, line, "description")
            or product.display_name
            or labels.get(category, False),
        }

    def _find_product(self, env, line):
        """The product a line names by ``default_code`` and/or ``barcode``,
        among the shop's products and the shared ones (none if it names none)."""
        Product = env["product.product"]
        found = Product
        for field in ("default_code", "barcode"):
            value = self._text(env, line, field)
            if not value:
                continue
            products = Product.search(
                [(field, "=", value), ("company_id", "in", [False, env.company.id])],
                limit=2,
            )
            if not products:
                raise RowRejected(
                    env._(
                        "Unknown product: no product of this shop has %(field)s "
                        "%(value)s.",
                        field=field,
                        value=value,
                    )
                )
            if len(products) > 1:
                raise RowRejected(
                    env._(
                        "Several products of this shop have %(field)s %(value)s: "
                        "name the product by its 'barcode'.",
                        field=field,
                        value=value,
                    )
                )
            if found and products != found:
                raise RowRejected(
                    env._("'default_code' and 'barcode' name two different products.")
                )
            found = products
        return found
