import datetime as dt
import uuid
from contextlib import contextmanager
from unittest.mock import patch

import requests

from odoo import Command, fields

from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.iap.tools import iap_tools

from .fake_iap import FakeIapSms


def _loopback_jsonrpc(url, method="call", params=None, timeout=15):
    """IAP's JSON-RPC client minus its "no network in tests" guard: the requests
    really go over HTTP, to the fake server on 127.0.0.1."""
    response = requests.post(
        url,
        json={"jsonrpc": "2.0", "method": method, "params": params, "id": 1},
        timeout=timeout,
    )
    response.raise_for_status()
    return response.json()["result"]


class CyclesCase(AccountTestInvoicingCommon):
    """A shop (Rome time, default send window), optical products, customers who
    gave marketing consent, and a loopback IAP SMS endpoint."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.groups_id |= cls.env.ref("optical_crm.group_optical_manager")
        cls.company = cls.env.company
        cls.company.write(
            {
                "optical_cap_count": 0,
                "optical_hourly_limit": 0,
                "optical_skip_public_holidays": True,
            }
        )
        cls.company._optical_send_calendar()
        Product = cls.env["product.product"]
        cls.glasses = Product.create(
            {"name": "Occhiale progressivo", "optical_category": "spectacles"}
        )
        cls.lenses = Product.create(
            {
                "name": "Lenti mensili",
                "optical_category": "contact_lens",
                "optical_cl_replacement_days": 30,
                "optical_cl_lenses_per_pack": 6,
                "default_code": "CL-M",
            }
        )
        cls.sunglasses = Product.create(
            {"name": "Occhiale da sole", "optical_category": "sunglasses"}
        )
        Partner = cls.env["res.partner"]
        cls.anna = Partner.create(
            {"name": "Anna Rossi", "mobile": "+39 333 123 4567", "email": "anna@ex.it"}
        )
        cls.bruno = Partner.create(
            {"name": "Bruno Bianchi", "mobile": "+39 347 765 4321", "email": "b@ex.it"}
        )
        # consents given long ago (tests freeze the clock in 2026)
        cls.env["optical.consent"].create(
            [
                {
                    "partner_id": partner.id,
                    "channel": channel,
                    "purpose": "marketing",
                    "granted": True,
                    "source": "store",
                    "date": dt.datetime(2020, 1, 1),
                    "company_id": False,
                }
                for partner in (cls.anna, cls.bruno)
                for channel in ("sms", "email", "phone")
            ]
        )
        cls.Cycle = cls.env["optical.cycle"]
        cls.Enrollment = cls.env["optical.cycle.enrollment"]
        cls.Execution = cls.env["optical.cycle.execution"]
        cls.category = {c.code: c for c in cls.env["optical.cycle.category"].search([])}
        cls.fake = FakeIapSms().start()
        cls.addClassCleanup(cls.fake.stop)
        cls.env["ir.config_parameter"].sudo().set_param("sms.endpoint", cls.fake.url)

    def setUp(self):
        super().setUp()
        self.fake.received.clear()
        self.fake.calls.clear()
        self.fake.states.clear()

    # ------------------------------------------------------------------ helpers
    @classmethod
    def make_cycle(cls, steps=None, **vals):
        steps = steps or [
            {"name": "week", "delay_count": 1, "delay_unit": "weeks"},
            {"name": "month", "delay_count": 1, "delay_unit": "months"},
        ]
        values = {
            "name": "Occhiali",
            "trigger": "invoice_posted",
            "optical_categories": [Command.set([cls.category["spectacles"].id])],
            "late_tolerance_days": 2,
            "step_ids": [
                Command.create(
                    {
                        "channel": "sms",
                        "sms_body": "Ciao {{ object.partner_id.name }}",
                        **step,
                    }
                )
                for step in steps
            ],
        }
        values.update(vals)
        return cls.Cycle.create(values)

    def invoice(
        self,
        partner=None,
        date=None,
        product=None,
        post=True,
        amount=200.0,
        move_type="out_invoice",
    ):
        move = self.env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": (partner or self.anna).id,
                "invoice_date": date or fields.Date.context_today(self.env.user),
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": (product or self.glasses).id,
                            "quantity": 1,
                            "price_unit": amount,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        if post:
            move.action_post()
        return move

    def receipt(self, partner=None, date=None, product=None, post=True, amount=200.0):
        """A sales receipt (documento commerciale)."""
        return self.invoice(
            partner, date, product, post=post, amount=amount, move_type="out_receipt"
        )

    def purchase(self, partner, when, source="gestionale", document=None, **vals):
        """A purchase recorded without an Odoo document: by another system
        (``source``) or by the import (``source="import"``)."""
        Touchpoint = self.env["optical.touchpoint"]
        if source == "import":
            # as the import wizard records it
            Touchpoint = Touchpoint.with_context(optical_profile_deferred=True)
        return Touchpoint.create(
            {
                "partner_id": partner.id,
                "datetime": when,
                "channel": "store",
                "kind": "purchase",
                "source": source,
                "external_ref": str(uuid.uuid4()),
                "document_ref": document,
                "product_id": self.glasses.id,
                "quantity": 1,
                "amount": 150.0,
                **vals,
            }
        )

    def executions(self, cycle=None, partner=None):
        domain = []
        if cycle:
            domain.append(("cycle_id", "=", cycle.id))
        if partner:
            domain.append(("partner_id", "=", partner.id))
        return self.Execution.search(domain).sorted(lambda x: (x.planned_at, x.id))

    def dispatch(self, when, **kw):
        return self.Execution._optical_dispatch(now=when, **kw)

    @contextmanager
    def loopback_iap(self):
        with patch.object(iap_tools, "iap_jsonrpc", _loopback_jsonrpc):
            yield self.fake

    def send_queue(self):
        with self.loopback_iap():
            self.env["sms.sms"].sudo()._process_queue()
        self.env.invalidate_all()

    @staticmethod
    def utc(*args):
        """A naive UTC datetime from Rome wall-clock time."""
        import pytz

        local = pytz.timezone("Europe/Rome").localize(dt.datetime(*args))
        return local.astimezone(pytz.utc).replace(tzinfo=None)
