import datetime as dt

from odoo.exceptions import UserError, ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from ..models.optical_contact_policy import italian_public_holidays


class PolicyCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.write({"optical_cap_count": 2, "optical_cap_days": 30})
        cls.Policy = cls.env["optical.contact.policy"]
        Partner = cls.env["res.partner"]
        cls.anna = Partner.create(
            {"name": "Anna Rossi", "mobile": "+39 333 123 4567", "email": "anna@ex.it"}
        )
        cls.bruno = Partner.create(
            {"name": "Bruno Bianchi", "mobile": "+39 347 765 4321", "email": "b@ex.it"}
        )
        cls.landline = Partner.create(
            {"name": "Carla Verdi", "phone": "+39 06 1234 5678", "email": "c@ex.it"}
        )
        cls.nophone = Partner.create({"name": "Dario Neri"})
        cls.twin = Partner.create(
            {"name": "Anna Rossi (dup)", "mobile": "+393331234567"}
        )
        everyone = cls.anna | cls.bruno | cls.landline | cls.nophone | cls.twin
        for channel in ("sms", "email", "phone"):
            everyone._optical_record_consent(channel, "marketing", True, "store")
        cls.everyone = everyone

    def screen(self, partners=None, channel="sms", **kw):
        return self.Policy._optical_screen(
            partners or self.everyone, channel, "marketing", company=self.company, **kw
        )

    def log(self, partner, when, **kw):
        vals = {
            "partner_id": partner.id,
            "company_id": self.company.id,
            "channel": "sms",
            "purpose": "marketing",
            "datetime": when,
            "res_model": "res.partner",
            "res_id": partner.id,
        }
        vals.update(kw)
        return self.Policy._optical_log_sent([vals])


@tagged("post_install", "-at_install")
class TestConsentLedger(PolicyCase):
    def test_latest_row_decides(self):
        self.assertEqual(self.anna._optical_contact_allowed("sms"), (True, ""))
        self.anna._optical_record_consent("sms", "marketing", False, "phone")
        self.assertEqual(
            self.anna._optical_contact_allowed("sms"), (False, "consent_revoked")
        )
        self.anna._optical_record_consent("sms", "marketing", True, "store")
        self.assertEqual(self.anna._optical_contact_allowed("sms"), (True, ""))
        # one channel does not speak for another, nor one purpose for the other
        fresh = self.env["res.partner"].create(
            {"name": "Elena", "mobile": "+393401112223", "email": "e@ex.it"}
        )
        fresh._optical_record_consent("email", "marketing", True, "web")
        self.assertEqual(fresh._optical_contact_allowed("sms"), (False, "no_consent"))
        self.assertEqual(fresh._optical_contact_allowed("email"), (True, ""))
        # service messages need no consent, but a revocation stops them
        self.assertEqual(fresh._optical_contact_allowed("sms", "service"), (True, ""))
        fresh._optical_record_consent("sms", "service", False, "store")
        self.assertFalse(fresh._optical_contact_allowed("sms", "service")[0])

    def test_ledger_is_append_only(self):
        user = new_test_user(
            self.env, "ledger_user", groups="optical_crm.group_optical_manager"
        )
        row = self.anna.optical_consent_ids[:1].with_user(user)
        with self.assertRaisesRegex(UserError, "ledger"):
            row.write({"granted": False})
        with self.assertRaisesRegex(UserError, "ledger"):
            row.unlink()
        with self.assertRaises(UserError):
            self.env["optical.consent"].with_user(user).create(
                {
                    "partner_id": self.anna.id,
                    "channel": "sms",
                    "date": dt.datetime.now() + dt.timedelta(days=2),
                }
            )
        self.assertTrue(row.exists())

    def test_other_shop_consent_does_not_count(self):
        other = self.env["res.company"].create({"name": "Ottica Due"})
        elena = self.env["res.partner"].create(
            {"name": "Elena", "mobile": "+393401112223"}
        )
        elena._optical_record_consent("sms", "marketing", True, "store", company=other)
        self.assertEqual(
            elena._optical_contact_allowed("sms", company=self.company),
            (False, "no_consent"),
        )
        self.assertEqual(
            elena._optical_contact_allowed("sms", company=other), (True, "")
        )

    def test_unsubscribe_through_odoo_blacklists_revokes(self):
        self.env["phone.blacklist"].sudo().add("+39 333 123 4567")
        rows = self.anna.optical_consent_ids.filtered(
            lambda c: c.source == "unsubscribe"
        )
        self.assertEqual(rows.mapped("channel"), ["sms"])
        self.assertFalse(rows.granted)
        self.assertFalse(rows.company_id, "an opt-out applies to every shop")
        # the twin shares the number: revoked as well
        self.assertEqual(
            self.twin._optical_contact_allowed("sms"), (False, "consent_revoked")
        )
        self.env["mail.blacklist"].sudo()._add("B@EX.IT")
        self.assertEqual(
            self.bruno._optical_contact_allowed("email"), (False, "consent_revoked")
        )
        self.assertEqual(self.bruno._optical_contact_allowed("sms"), (True, ""))

    def test_blacklist_alone_is_honoured(self):
        # a blacklist row written by SQL-level tools (no _add) still excludes
        self.env["phone.blacklist"].sudo().create({"number": "+393477654321"})
        self.assertEqual(
            self.bruno._optical_contact_allowed("sms"), (False, "blacklisted")
        )


@tagged("post_install", "-at_install")
class TestScreen(PolicyCase):
    def test_reasons(self):
        self.nophone.active = False
        result = self.screen()
        self.assertEqual(
            result,
            {
                self.anna.id: False,
                self.bruno.id: False,
                self.landline.id: "not_mobile",
                self.nophone.id: "archived",
                self.twin.id: "duplicate",
            },
        )
        self.nophone.active = True
        self.assertEqual(self.screen(self.nophone)[self.nophone.id], "no_address")
        # a landline is fine for a phone call
        self.assertFalse(self.screen(self.landline, "phone")[self.landline.id])

    def test_frequency_cap(self):
        now = dt.datetime(2026, 3, 10, 10, 0)
        self.log(self.anna, now - dt.timedelta(days=40))  # outside the window
        self.log(self.anna, now - dt.timedelta(days=20))
        self.log(self.anna, now - dt.timedelta(days=1), is_control=True)
        self.assertFalse(self.screen(self.anna, at=now)[self.anna.id])
        self.log(self.anna, now - dt.timedelta(days=2))
        self.assertEqual(self.screen(self.anna, at=now)[self.anna.id], "frequency_cap")
        # promotions never cap a service message; the cap can be switched off
        self.assertFalse(
            self.Policy._optical_screen(self.anna, "sms", "service", at=now)[
                self.anna.id
            ]
        )
        self.assertFalse(self.screen(self.anna, at=now, cap=False)[self.anna.id])
        self.company.optical_cap_count = 0
        self.assertFalse(self.screen(self.anna, at=now)[self.anna.id])

    def test_service_first_in_the_cap(self):
        now = dt.datetime(2026, 3, 10, 10, 0)
        self.company.optical_cap_count = 1
        self.log(self.anna, now - dt.timedelta(days=3), purpose="service")
        # care uses up the room first: no promotion this month
        self.assertEqual(self.screen(self.anna, at=now)[self.anna.id], "frequency_cap")
        # promotions never push care out: Bruno got one, his reminder may go
        self.log(self.bruno, now - dt.timedelta(days=3))
        service = self.Policy._optical_screen(
            self.anna | self.bruno, "sms", "service", company=self.company, at=now
        )
        self.assertFalse(service[self.bruno.id])
        # a service message capped by service ones is held, not dropped, until
        # the oldest of them leaves the period
        self.assertEqual(service[self.anna.id], "frequency_cap")
        self.assertEqual(
            self.Policy._optical_holds("service", "frequency_cap"), "frequency_cap"
        )
        self.assertEqual(
            self.Policy._optical_holds("service", "duplicate"), "shared_address"
        )
        self.assertFalse(self.Policy._optical_holds("marketing", "frequency_cap"))
        self.assertFalse(self.Policy._optical_holds("service", "no_address"))
        until = self.Policy._optical_hold_until(
            self.anna, "frequency_cap", self.company, now
        )
        # 7 March + 30 days = Easter Monday (holiday): Tuesday 7 April, 9:00 in
        # Rome (7:00 UTC, summer time)
        self.assertEqual(until[self.anna.id], dt.datetime(2026, 4, 7, 7, 0))

    def test_settings_are_checked(self):
        with self.assertRaises(ValidationError):
            self.company.optical_cap_count = -1
        with self.assertRaises(ValidationError):
            self.company.write({"optical_cap_count": 2, "optical_cap_days": 0})


@tagged("post_install", "-at_install")
class TestWhen(PolicyCase):
    def slot(self, *args):
        return self.Policy._optical_next_send_slot(self.company, dt.datetime(*args))

    def test_default_window_rome(self):
        # Tuesday 2026-03-10 07:00 UTC = 08:00 in Rome: wait until 09:00 Rome
        self.assertEqual(self.slot(2026, 3, 10, 7, 0), dt.datetime(2026, 3, 10, 8, 0))
        # inside the window: unchanged
        self.assertEqual(
            self.slot(2026, 3, 10, 12, 30), dt.datetime(2026, 3, 10, 12, 30)
        )
        # Tuesday 20:30 Rome (19:30 UTC): next morning 09:00 Rome
        self.assertEqual(self.slot(2026, 3, 10, 19, 30), dt.datetime(2026, 3, 11, 8, 0))
        # Saturday 09:30 Rome: Saturday opens at 10:00
        self.assertEqual(self.slot(2026, 3, 14, 8, 30), dt.datetime(2026, 3, 14, 9, 0))
        # Saturday 19:30 Rome: Sunday is closed, Monday 09:00
        self.assertEqual(self.slot(2026, 3, 14, 18, 30), dt.datetime(2026, 3, 16, 8, 0))
        # summer time: Monday 2026-07-06 06:00 UTC = 08:00 CEST -> 07:00 UTC
        self.assertEqual(self.slot(2026, 7, 6, 6, 0), dt.datetime(2026, 7, 6, 7, 0))

    def test_public_holidays(self):
        self.assertIn(dt.date(2026, 4, 6), italian_public_holidays(2026))  # Pasquetta
        self.assertIn(dt.date(2026, 10, 4), italian_public_holidays(2026))
        self.assertNotIn(dt.date(2025, 10, 4), italian_public_holidays(2025))
        # Friday 2026-12-25 and Saturday 26: next is Monday 28 at 09:00 Rome
        self.assertEqual(
            self.slot(2026, 12, 24, 19, 30), dt.datetime(2026, 12, 28, 8, 0)
        )
        self.company.optical_skip_public_holidays = False
        self.assertEqual(
            self.slot(2026, 12, 24, 19, 30), dt.datetime(2026, 12, 25, 8, 0)
        )

    def test_closing_days_and_custom_window(self):
        calendar = self.company._optical_send_calendar()
        self.assertEqual(calendar, self.company._optical_send_calendar())
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Patrono",
                "calendar_id": calendar.id,
                "date_from": dt.datetime(2026, 6, 28, 22, 0),
                "date_to": dt.datetime(2026, 6, 29, 21, 59),
            }
        )
        # Monday 29 June closed (patron saint): Tuesday 09:00 CEST
        self.assertEqual(self.slot(2026, 6, 29, 5, 0), dt.datetime(2026, 6, 30, 7, 0))
        calendar.attendance_ids.filtered(lambda a: a.dayofweek == "1").unlink()
        self.assertEqual(self.slot(2026, 6, 29, 5, 0), dt.datetime(2026, 7, 1, 7, 0))

    def test_hourly_quota(self):
        at = dt.datetime(2026, 3, 10, 10, 30)
        self.assertIsNone(self.Policy._optical_hourly_quota(self.company, at))
        self.company.optical_hourly_limit = 2
        self.log(self.anna, dt.datetime(2026, 3, 10, 9, 59))
        self.log(self.bruno, dt.datetime(2026, 3, 10, 10, 5))
        self.assertEqual(self.Policy._optical_hourly_quota(self.company, at), 1)
        self.log(self.twin, dt.datetime(2026, 3, 10, 10, 6))
        self.assertEqual(self.Policy._optical_hourly_quota(self.company, at), 0)


@tagged("post_install", "-at_install")
class TestAttribution(AccountTestInvoicingCommon):
    def test_last_touch_and_refunds(self):
        Log = self.env["optical.contact.log"].sudo()
        partner = self.partner_a
        base = {
            "partner_id": partner.id,
            "company_id": self.env.company.id,
            "channel": "sms",
            "purpose": "marketing",
        }
        first = Log.create(
            dict(base, datetime="2026-03-01 10:00:00", res_model="res.users", res_id=1)
        )
        Log.create(
            dict(base, datetime="2026-03-10 10:00:00", res_model="res.users", res_id=2)
        )
        other = self.partner_b
        Log.create(
            dict(
                base,
                partner_id=other.id,
                datetime="2026-03-01 10:00:00",
                res_model="res.users",
                res_id=1,
                is_control=True,
            )
        )
        # before the second message: the first campaign
        self.init_invoice(
            "out_invoice", partner, "2026-03-05", post=True, amounts=[100.0]
        )
        # after the second: last touch wins
        inv = self.init_invoice(
            "out_invoice", partner, "2026-03-12", post=True, amounts=[250.0]
        )
        # too late for either
        self.init_invoice(
            "out_invoice", partner, "2026-06-30", post=True, amounts=[999.0]
        )
        # the control person bought too
        self.init_invoice("out_invoice", other, "2026-03-20", post=True, amounts=[80.0])
        refund = inv._reverse_moves([{"invoice_date": inv.invoice_date}])
        refund.invoice_line_ids.price_unit = 50.0
        refund.action_post()
        result = Log._optical_attribution("res.users", [1, 2, 3])
        self.assertEqual(result[1]["sent"], 1)
        self.assertEqual(result[1]["converted"], 1)
        self.assertAlmostEqual(result[1]["revenue"], 100.0)
        self.assertEqual(result[1]["control"], 1)
        self.assertEqual(result[1]["control_converted"], 1)
        self.assertAlmostEqual(result[1]["control_revenue"], 80.0)
        self.assertEqual(result[2]["converted"], 1)
        self.assertAlmostEqual(result[2]["revenue"], 200.0)
        self.assertEqual(result[3]["sent"], 0)
        self.assertTrue(first.exists())
