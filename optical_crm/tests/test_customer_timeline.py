from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common_value import OpticalValueCommon


@tagged("post_install", "-at_install")
class TestCustomerTimeline(OpticalValueCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        a, b = cls.company_a, cls.company_b
        cls.exam = cls.env["optical.exam"].create(
            {"partner_id": cls.anna.id, "date": "2025-03-01", "company_id": a.id}
        )
        cls.prescription = cls.env["optical.prescription"].create(
            {
                "partner_id": cls.anna.id,
                "date": "2025-03-01",
                "exam_id": cls.exam.id,
                "company_id": a.id,
            }
        )
        Touchpoint = cls.env["optical.touchpoint"]
        cls.booking = Touchpoint.create(
            {
                "partner_id": cls.anna.id,
                "datetime": "2025-06-10 09:00:00",
                "channel": "phone",
                "kind": "booking",
                "summary": "Eye exam booked",
                "company_id": a.id,
            }
        )
        cls.web_visit = Touchpoint.create(
            {
                "partner_id": cls.anna.id,
                "datetime": "2025-05-05 18:00:00",
                "channel": "web",
                "kind": "visit",
                "company_id": b.id,
            }
        )
        # the touchpoint of an invoice is the invoice's row: not twice
        Touchpoint.create(
            {
                "partner_id": cls.anna.id,
                "datetime": "2025-01-10 10:00:00",
                "channel": "store",
                "kind": "purchase",
                "res_model": "account.move",
                "res_id": cls.anna_3.id,
                "company_id": a.id,
            }
        )
        cls.consent = cls.env["optical.consent"].create(
            {
                "partner_id": cls.anna.id,
                "channel": "sms",
                "purpose": "marketing",
                "granted": True,
                "date": "2024-12-01 11:00:00",
                "company_id": False,
            }
        )
        mailing = cls.env["mailing.mailing"].create(
            {
                "subject": "Saldi estivi",
                "body_html": "<p>Saldi</p>",
                "mailing_model_id": cls.env.ref("base.model_res_partner").id,
            }
        )
        trace = cls.env["mailing.trace"].create(
            {
                "model": "res.partner",
                "res_id": cls.anna.id,
                "mass_mailing_id": mailing.id,
                "trace_type": "mail",
                "trace_status": "open",
            }
        )
        link = cls.env["link.tracker"].create(
            {"url": "https://example.com/saldi", "title": "Saldi"}
        )
        cls.click = cls.env["link.tracker.click"].create(
            {"link_id": link.id, "mailing_trace_id": trace.id}
        )
        Log = cls.env["optical.contact.log"].sudo()
        vals = {
            "partner_id": cls.anna.id,
            "company_id": a.id,
            "channel": "email",
            "purpose": "marketing",
            "res_model": "optical.campaign",
            "res_id": 3,
        }
        cls.message = Log.create(
            dict(
                vals,
                datetime="2025-05-20 10:00:00",
                mailing_id=mailing.id,
                mailing_trace_id=trace.id,
            )
        )
        Log.create(dict(vals, datetime="2025-05-21 10:00:00", is_control=True))
        cls.optometrist = new_test_user(
            cls.env,
            "tl_optometrist",
            groups="optical_crm.group_optical_optometrist",
            company_ids=[(6, 0, (a | b).ids)],
        )
        cls.user = new_test_user(
            cls.env,
            "tl_user",
            groups="optical_crm.group_optical_user",
            company_ids=[(6, 0, (a | b).ids)],
        )
        cls.shop_a_user = new_test_user(
            cls.env,
            "tl_shop_a",
            groups="optical_crm.group_optical_optometrist",
            company_id=a.id,
            company_ids=[(6, 0, a.ids)],
        )

    def timeline(self, user, domain=()):
        action = self.anna.with_user(user).action_optical_timeline()
        Timeline = self.env[action["res_model"]].with_user(user)
        companies = user.company_ids.ids
        return Timeline.with_context(allowed_company_ids=companies).search(
            action["domain"] + list(domain)
        )

    def test_one_timeline_newest_first(self):
        rows = self.timeline(self.optometrist)
        kinds = [row.kind for row in rows]
        self.assertEqual(
            sorted(kinds),
            sorted(
                ["sale"] * 5  # four in shop A, one in shop B
                + ["exam", "prescription", "message", "click", "consent"]
                + ["touchpoint"] * 2  # the invoice's touchpoint is not repeated
            ),
        )
        stamps = rows.mapped("datetime")
        self.assertEqual(stamps, sorted(stamps, reverse=True))
        message = rows.filtered(lambda r: r.kind == "message")
        self.assertEqual(
            (message.summary, message.outcome, message.origin, message.channel),
            ("Saldi estivi", "open", "campaign", "email"),
        )
        click = rows.filtered(lambda r: r.kind == "click")
        self.assertEqual(
            (click.summary, click.origin), ("https://example.com/saldi", "campaign")
        )
        consent = rows.filtered(lambda r: r.kind == "consent")
        self.assertEqual((consent.outcome, consent.channel), ("granted", "sms"))
        booking = rows.filtered(lambda r: r.touchpoint_kind == "booking")
        self.assertEqual(
            (booking.channel, booking.summary), ("phone", "Eye exam booked")
        )
        invoice = rows.filtered(
            lambda r: r.res_id == self.anna_3.id and r.kind == "sale"
        )
        self.assertEqual(
            (invoice.amount, invoice.summary, invoice.sale_kind),
            (200.0, self.anna_3.name, "invoice"),
        )
        self.assertEqual(invoice.action_open_document()["res_id"], self.anna_3.id)

    def test_filter_by_channel(self):
        phone = self.timeline(self.optometrist, [("channel", "=", "phone")])
        self.assertEqual(phone.mapped("touchpoint_kind"), ["booking"])
        email = self.timeline(self.optometrist, [("channel", "=", "email")])
        self.assertEqual(sorted(email.mapped("kind")), ["click", "message"])
        groups = (
            self.env["optical.customer.timeline"]
            .with_user(self.optometrist)
            ._read_group([("partner_id", "=", self.anna.id)], ["channel"], ["__count"])
        )
        self.assertEqual(
            dict(groups), {"store": 7, "web": 1, "phone": 1, "email": 2, "sms": 1}
        )

    def test_health_data_for_optometrists_only(self):
        health = [("kind", "in", ("exam", "prescription"))]
        self.assertEqual(len(self.timeline(self.optometrist, health)), 2)
        self.assertFalse(self.timeline(self.user, health))
        self.assertFalse(self.timeline(self.user, [("is_health", "=", True)]))
        # not even by id, not even counted
        row = self.timeline(self.optometrist, health)[:1]
        Timeline = self.env["optical.customer.timeline"].with_user(self.user)
        with self.assertRaises(AccessError):
            Timeline.browse(row.id).read(["kind", "datetime"])
        groups = dict(
            Timeline._read_group(
                [("partner_id", "=", self.anna.id)], ["kind"], ["__count"]
            )
        )
        self.assertNotIn("exam", groups)
        self.assertNotIn("prescription", groups)
        self.assertEqual(groups["sale"], 5)
        # the document behind a health row cannot be opened by a plain user either
        with self.assertRaises(AccessError):
            self.exam.with_user(self.user).read(["date"])

    def test_shops_are_kept_apart(self):
        rows = self.timeline(self.shop_a_user)
        self.assertEqual(set(rows.company_id.ids), {self.company_a.id})
        self.assertNotIn("web", rows.mapped("channel"))  # the visit to shop B's site
        self.assertEqual(len(rows.filtered(lambda r: r.kind == "sale")), 4)
        # a consent given to the whole chain (no shop) is seen by every shop
        self.assertIn("consent", rows.mapped("kind"))

    def test_access_and_smart_button(self):
        employee = new_test_user(self.env, "tl_employee", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.env["optical.customer.timeline"].with_user(employee).search([])
        form = self.env.ref("base.view_partner_form")
        arch = self.env["res.partner"].with_user(self.user).get_view(form.id)["arch"]
        self.assertIn("action_optical_timeline", arch)
        self.assertIn("action_optical_value", arch)
        arch = self.env["res.partner"].with_user(employee).get_view(form.id)["arch"]
        self.assertNotIn("action_optical_timeline", arch)
