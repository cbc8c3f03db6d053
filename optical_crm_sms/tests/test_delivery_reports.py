from odoo.tests import HttpCase, tagged

from .common import SmsProviderMixin


@tagged("post_install", "-at_install")
class TestDeliveryReports(SmsProviderMixin, HttpCase):
    """Report routes: authenticated, idempotent, order-independent; states land on
    sms.sms and on the mailing traces."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_providers()
        cls.partners = cls.env["res.partner"].create(
            [
                {
                    "name": f"Cliente {i}",
                    "mobile": f"+39347000000{i}",
                    "country_id": cls.company.country_id.id,
                }
                for i in range(2)
            ]
        )
        cls.mailing = cls.env["mailing.mailing"].create(
            {
                "subject": "Saldi estivi",
                "mailing_type": "sms",
                "body_plaintext": "Saldi estivi in negozio!",
                "mailing_model_id": cls.env["ir.model"]._get_id("res.partner"),
                "mailing_domain": [("id", "in", cls.partners.ids)],
            }
        )

    def setUp(self):
        super().setUp()
        self._reset_fakes()
        self.env["ir.config_parameter"].sudo().set_param(
            "web.base.url", self.base_url()
        )

    def _skebby(self, url, uuid, status, method="POST"):
        self.env.flush_all()
        code = self.skebby.report(url, uuid, status, method=method)
        self.env.invalidate_all()
        self.env["optical.sms.report"]._optical_cron_apply()  # the inbox job
        return code

    def _twilio(self, sid, status, **kw):
        self.env.flush_all()
        code = self.twilio.report(sid, status, **kw)
        self.env.invalidate_all()
        self.env["optical.sms.report"]._optical_cron_apply()  # the inbox job
        return code

    def _send_mailing(self, company):
        self.mailing.with_company(company).action_send_sms()
        sms = self.env["sms.sms"].search(
            [("mailing_id", "=", self.mailing.id)], order="id"
        )
        self.assertEqual(len(sms), 2)
        self._run_queue()
        self.assertEqual(set(sms.mapped("state")), {"pending"})
        traces = sms.mapped("mailing_trace_ids")
        self.assertEqual(set(traces.mapped("trace_status")), {"pending"})
        return sms

    def test_skebby_reports(self):
        first, second = self._send_mailing(self.company)
        url = self.provider._optical_report_url()
        # delivered
        self.assertEqual(self._skebby(url, first.uuid, "DLVRD"), 200)
        self.assertEqual(
            (first.state, first.mailing_trace_ids.trace_status), ("sent", "sent")
        )
        # the same report again, then a late "sent": nothing moves back
        self.assertEqual(self._skebby(url, first.uuid, "DLVRD"), 200)
        self.assertEqual(self._skebby(url, first.uuid, "WAIT4DLVR", method="GET"), 200)
        self.assertEqual(self._skebby(url, first.uuid, "UNKNRCPT"), 200)
        first.invalidate_recordset()
        self.assertEqual((first.state, first.failure_type), ("sent", False))
        self.assertEqual(first.mailing_trace_ids.trace_status, "sent")
        # a failure, then a late delivered: the first final state stays
        self.assertEqual(self._skebby(url, second.uuid, "UNKNRCPT", method="GET"), 200)
        self.assertEqual(self._skebby(url, second.uuid, "DLVRD"), 200)
        second.invalidate_recordset()
        self.assertEqual(
            (second.state, second.failure_type), ("error", "sms_invalid_destination")
        )
        trace = second.mailing_trace_ids
        self.assertEqual(
            (trace.trace_status, trace.failure_type),
            ("bounce", "sms_invalid_destination"),
        )
        self.assertEqual(self.mailing.delivered, 1)
        self.assertEqual(self.mailing.bounced, 1)

    def test_skebby_forged_and_bad_reports(self):
        first, _second = self._send_mailing(self.company)
        good = self.provider._optical_report_url()
        forged = good.rsplit("/", 1)[0] + "/not-the-secret"
        self.assertEqual(self._skebby(forged, first.uuid, "DLVRD"), 403)
        wrong_provider = good.replace(
            f"/skebby/{self.provider.id}/", f"/skebby/{self.provider_twilio.id}/"
        )
        self.assertEqual(self._skebby(wrong_provider, first.uuid, "DLVRD"), 403)
        self.assertEqual(self._skebby(good, first.uuid, "NOT_A_STATUS"), 400)
        self.assertEqual(self._skebby(good, "f" * 32, "DLVRD"), 200)  # unknown: ignored
        first.invalidate_recordset()
        self.assertEqual(first.state, "pending")
        self.assertEqual(first.mailing_trace_ids.trace_status, "pending")

    def test_twilio_reports(self):
        first, second = self._send_mailing(self.company_twilio)
        self.assertEqual(first.optical_provider_id, self.provider_twilio)
        sid1, sid2 = first.optical_provider_ref, second.optical_provider_ref
        # forged signature: refused, nothing changes
        self.assertEqual(self._twilio(sid1, "delivered", forge=True), 403)
        first.invalidate_recordset()
        self.assertEqual(first.state, "pending")
        self.assertEqual(self._twilio(sid1, "delivered"), 200)
        self.assertEqual(self._twilio(sid1, "delivered"), 200)
        self.assertEqual(self._twilio(sid1, "sent"), 200)
        self.assertEqual(self._twilio(sid1, "undelivered", error_code=30005), 200)
        first.invalidate_recordset()
        self.assertEqual(
            (first.state, first.mailing_trace_ids.trace_status), ("sent", "sent")
        )
        self.assertEqual(self._twilio(sid2, "sent"), 200)
        self.assertEqual(self._twilio(sid2, "failed", error_code=30003), 200)
        second.invalidate_recordset()
        self.assertEqual(
            (second.state, second.failure_type), ("error", "sms_not_delivered")
        )
        self.assertEqual(second.mailing_trace_ids.trace_status, "error")
        # a callback URL without our reference still finds the message by its SID
        url = self.provider_twilio._optical_report_url()
        self.assertEqual(self._twilio(sid2, "delivered", url=url), 200)
        second.invalidate_recordset()
        self.assertEqual(second.state, "error")

    def test_report_after_the_sms_row_is_gone(self):
        first, _second = self._send_mailing(self.company)
        url = self.provider._optical_report_url()
        uuid, trace = first.uuid, first.mailing_trace_ids
        self.assertEqual(self._skebby(url, uuid, "DLVRD"), 200)
        self.env["sms.sms"]._gc_device()  # delivered SMS are deleted, traces stay
        self.assertFalse(first.exists())
        self.assertEqual(self._skebby(url, uuid, "UNKNRCPT"), 200)
        self.assertEqual(trace.trace_status, "sent")
