from datetime import datetime, timedelta

from psycopg2 import IntegrityError

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .common import OpticalCase


@tagged("post_install", "-at_install")
class TestTouchpoint(OpticalCase):
    def _vals(self, **vals):
        return {
            "partner_id": self.customer.id,
            "datetime": datetime(2024, 5, 2, 10, 15),
            "channel": "chat",
            "kind": "inquiry",
            "summary": "Price of daily lenses",
            "source": "chat",
            "external_ref": "c-1",
            **vals,
        }

    def _rejected(self, expected, **vals):
        Touchpoint = self.env["optical.touchpoint"].with_user(self.user)
        before = Touchpoint.search_count([])
        with self.assertRaisesRegex(ValidationError, expected):
            Touchpoint.create(self._vals(**vals))
        self.assertEqual(Touchpoint.search_count([]), before)

    def test_form(self):
        form = Form(self.env["optical.touchpoint"].with_user(self.user))
        form.partner_id = self.customer
        form.datetime = fields.Datetime.now() - timedelta(hours=1)
        form.channel = "phone"
        form.kind = "call"
        form.summary = "Asked about opening hours"
        touchpoint = form.save()
        self.assertEqual(touchpoint.source, "odoo")
        self.assertEqual(touchpoint.company_id, self.env.company)
        self.assertEqual(self.customer.optical_touchpoint_count, 1)

    def test_purchase_from_another_system_counts_in_the_profile(self):
        # recorded by hand (a sale of the old till, say): the customer's lifetime
        # value and last purchase follow it when it is created, changed, deleted
        form = Form(self.env["optical.touchpoint"].with_user(self.user))
        form.partner_id = self.customer
        form.datetime = datetime(2024, 5, 2, 10, 15)
        form.channel = "store"
        form.kind = "purchase"
        form.amount = 120
        purchase = form.save()
        self.assertEqual(self.customer.optical_ltv, 120)
        self.assertEqual(
            self.customer.optical_last_purchase_date, datetime(2024, 5, 2).date()
        )
        purchase.with_user(self.user).amount = 90
        self.assertEqual(self.customer.optical_ltv, 90)
        purchase.with_user(self.user).kind = "inquiry"
        self.assertEqual(self.customer.optical_ltv, 0)
        self.assertFalse(self.customer.optical_last_purchase_date)
        purchase.kind = "purchase"
        self.assertEqual(self.customer.optical_ltv, 90)
        purchase.sudo().unlink()  # a manager's right
        self.assertEqual(self.customer.optical_ltv, 0)

    def test_rejections_with_reasons(self):
        self._rejected("has no customer", partner_id=False)
        self._rejected("has no date and time", datetime=False)
        self._rejected(
            "in the future",
            datetime=fields.Datetime.now() + timedelta(minutes=6),
        )
        self._rejected("Unknown Channel fax", channel="fax")
        self._rejected("Unknown Kind", kind="party")

    def test_clock_skew_tolerated(self):
        touchpoint = self.env["optical.touchpoint"].create(
            self._vals(datetime=fields.Datetime.now() + timedelta(minutes=4))
        )
        self.assertTrue(touchpoint)

    def test_source_and_external_ref_unique(self):
        Touchpoint = self.env["optical.touchpoint"]
        Touchpoint.create(self._vals())
        Touchpoint.create(self._vals(source="app"))  # another system, same ref: fine
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            Touchpoint.create(self._vals(summary="sent again"))
        created = Touchpoint._record_once([self._vals(summary="sent again")])
        self.assertFalse(created, "a re-sent row changes nothing")
        self.assertEqual(
            Touchpoint.search([("external_ref", "=", "c-1")]).mapped("summary"),
            ["Price of daily lenses", "Price of daily lenses"],
        )

    def test_write_is_validated(self):
        touchpoint = self.env["optical.touchpoint"].create(self._vals())
        with self.assertRaisesRegex(ValidationError, "in the future"):
            touchpoint.datetime = datetime(2999, 1, 1)
