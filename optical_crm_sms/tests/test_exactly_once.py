"""Exactly once when the outcome is unknown (issue 14, item 4).

Only a failure the provider confirmed is retried; an uncertain outcome ends as
"outcome unknown, not retried" and nothing (the SMS queue, a campaign's retry,
a resend button) sends it again. Twilio's lookup of an uncertain send matches on
creation time and never takes another SMS's message. Odoo IAP's messages are
marked in flight before the call too.
"""

from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.iap.tools import iap_tools

from ..models.sms_sms import OUTCOME_UNKNOWN
from .common import SmsProviderCase
from .fake_providers import FakeIap, iap_jsonrpc_loopback

DEAD_URL = "http://127.0.0.1:9/"  # nothing listens: connection refused


@tagged("post_install", "-at_install")
class TestOutcomeUnknown(SmsProviderCase):
    def setUp(self):
        super().setUp()
        # room for a loaded machine: an answer on time is never taken for a
        # timeout (whose straggling request would take the next test's fault)
        for provider, fake in (
            (self.provider, self.skebby),
            (self.provider_twilio, self.twilio),
        ):
            provider.timeout = 1.5
            fake.slow_seconds = 2.5
            self.addCleanup(setattr, fake, "slow_seconds", 1.0)

    def _unreachable(self, provider):
        """The provider cannot be asked any more (its lookups fail)."""
        url = provider.api_url
        provider.api_url = DEAD_URL
        return url

    def test_unknown_outcome_ends_final_and_is_never_resent(self):
        sms = self._sms(1)
        self.skebby.script("accept_timeout")  # the provider has it, no answer
        self._run_queue()
        self.assertEqual(sms.state, "process")
        url = self._unreachable(self.provider)
        for minutes in (6, 120, 60 * 12):
            self._run_queue(minutes=minutes)
            self.assertEqual(sms.state, "process", minutes)
        self._run_queue(minutes=60 * 25)
        self.assertEqual((sms.state, sms.failure_type), ("error", OUTCOME_UNKNOWN))
        self.assertIn("outcome unknown, not retried", sms.optical_failure_reason)
        self.provider.api_url = url  # the provider is back: still never resent
        for minutes in (60 * 26, 60 * 48):
            self._run_queue(minutes=minutes)
        self.assertEqual(sms.state, "error")
        with self.assertRaises(UserError):
            sms.resend_failed()
        with self.assertRaises(UserError):
            sms.action_set_outgoing()
        self.assertEqual(sms.state, "error")
        self.assertEqual(self.skebby.stats()["send_requests"], 1)
        self.assertEqual(self.skebby.stats()["accepted"], 1)

    def test_campaign_retry_leaves_unknown_outcomes_alone(self):
        partners = self.env["res.partner"].create(
            [{"name": f"Cliente {i}", "mobile": f"+39347111000{i}"} for i in range(2)]
        )
        mailing = self.env["mailing.mailing"].create(
            {
                "subject": "Saldi",
                "mailing_type": "sms",
                "body_plaintext": "Saldi in negozio!",
                "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
                "mailing_domain": [("id", "in", partners.ids)],
            }
        )
        self.provider.parallel_requests = 1
        self.skebby.script("accept_timeout")  # first message: kept, no answer
        self.skebby.numbers["+393471110001"] = "credit"  # second: refused
        mailing.action_send_sms()
        self._run_queue()
        sms = self.env["sms.sms"].search([("mailing_id", "=", mailing.id)], order="id")
        self.assertEqual(sms.mapped("state"), ["process", "error"])
        url = self._unreachable(self.provider)
        self._run_queue(minutes=60 * 25)
        self.assertEqual(sms[0].failure_type, OUTCOME_UNKNOWN)
        self.provider.api_url = url
        self.skebby.numbers.clear()
        mailing.action_retry_failed()  # Odoo's "Retry" button of the mailing
        mailing.action_send_sms()
        self._run_queue(minutes=60 * 26)
        received = [m["recipient"] for m in self.skebby.messages.values()]
        self.assertEqual(sorted(received), ["+393471110000", "+393471110001"])
        self.assertEqual(self.skebby.duplicates(), 0)
        self.assertTrue(sms[0].exists(), "kept with its reason")

    def test_resend_wizard_leaves_unknown_outcomes_unticked(self):
        partner = self.env["res.partner"].create(
            {"name": "Lucia", "mobile": "+393471112222"}
        )
        message = partner.message_post(body="Ciao", message_type="sms")
        self.env["mail.notification"].create(
            {
                "mail_message_id": message.id,
                "res_partner_id": partner.id,
                "notification_type": "sms",
                "notification_status": "exception",
                "failure_type": OUTCOME_UNKNOWN,
            }
        )
        wizard = (
            self.env["sms.resend"]
            .with_context(default_mail_message_id=message.id)
            .create({})
        )
        self.assertEqual(wizard.recipient_ids.mapped("resend"), [False])

    def test_twilio_message_still_queued_is_found(self):
        """Accepted, answer lost, still queued at Twilio (no date_sent yet)."""
        sms = self._sms(1, company=self.company_twilio)
        self.twilio.script("accept_timeout")
        self._run_queue()
        self.assertEqual(sms.state, "process")
        self._run_queue(minutes=6)
        [sid] = self.twilio.keys_for(sms.number)
        self.assertEqual((sms.state, sms.optical_provider_ref), ("pending", sid))
        self._drain()
        self.assertEqual(self.twilio.stats()["send_requests"], 1)

    def test_twilio_not_found_within_grace_stays_in_flight(self):
        sms = self._sms(1, company=self.company_twilio)
        self.twilio.script("reset")  # never reached Twilio, we cannot know
        self._run_queue()
        self._run_queue(minutes=6)
        self.assertEqual(sms.state, "process", "not found yet: not resent")
        self.assertEqual(self.twilio.stats()["send_requests"], 1)
        self._run_queue(minutes=40)  # grace over: Twilio confirms it never had it
        self.assertEqual(sms.state, "pending")
        self.assertEqual(len(self.twilio.keys_for(sms.number)), 1)

    def test_twilio_identical_messages_matched_to_the_right_sms(self):
        """The same text to the same number twice, legitimately: each SMS gets
        its own message, by creation time and by provider id uniqueness."""
        body = "Il tuo ordine e' pronto %(i)s"
        self.provider_twilio.parallel_requests = 1
        first, second = self._sms(1, self.company_twilio, body) | self._sms(
            1, self.company_twilio, body
        )
        self.twilio.script(None, "reset")  # first accepted, second lost
        self._run_queue()
        self.assertEqual((first.state, second.state), ("pending", "process"))
        self._run_queue(minutes=40)
        self.assertEqual(second.state, "pending")
        self.assertNotEqual(second.optical_provider_ref, first.optical_provider_ref)
        # an hour later, once more: accepted, answer lost; the earlier messages
        # (created before it was marked in flight) are not it
        third = self._sms(1, self.company_twilio, body)
        self.twilio.script("accept_timeout")
        self._run_queue(minutes=60)
        self.assertEqual(third.state, "process")
        self._run_queue(minutes=70)
        refs = (first | second | third).mapped("optical_provider_ref")
        self.assertEqual(len(set(refs)), 3)
        self.assertEqual(sorted(refs), sorted(self.twilio.keys_for(first.number)))


@tagged("post_install", "-at_install")
class TestIapInFlight(SmsProviderCase):
    """Shops on Odoo IAP: marked in flight before the call, never sent again
    when the answer is lost."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.iap = FakeIap().start()
        cls.addClassCleanup(cls.iap.stop)
        cls.env["ir.config_parameter"].sudo().set_param("sms.endpoint", cls.iap.url)
        cls.company_iap = cls.env["res.company"].create(
            {"name": "Ottica IAP", "country_id": cls.env.ref("base.it").id}
        )

    def setUp(self):
        super().setUp()
        self.iap.reset()
        self.seen = []
        cr = self.env.cr

        def jsonrpc(url, method="call", params=None, timeout=15):
            uuids = [n["uuid"] for m in params["messages"] for n in m["numbers"]]
            cr.execute(
                "SELECT state, optical_in_flight_since IS NOT NULL FROM sms_sms "
                "WHERE uuid = ANY(%s)",
                [uuids],
            )
            self.seen += cr.fetchall()
            return iap_jsonrpc_loopback(url, method, params, timeout=2)

        patcher = patch.object(iap_tools, "iap_jsonrpc", jsonrpc)
        patcher.start()
        self.addCleanup(patcher.stop)

    def test_marked_in_flight_before_the_call(self):
        sms = self._sms(3, company=self.company_iap)
        self._run_queue()
        self.assertEqual(self.seen, [("process", True)] * 3)
        self.assertEqual(set(sms.exists().mapped("state")) - {"pending"}, set())
        self.assertEqual(len(self.iap.accepted), 3)

    def test_answer_lost_never_resent(self):
        sms = self._sms(2, company=self.company_iap)
        self.iap.script("accept_reset")  # IAP has them, the answer is lost
        self._run_queue()
        self.assertEqual(set(sms.mapped("state")), {"process"})
        self.assertIn("no answer", sms[0].optical_failure_reason)
        for minutes in (6, 90, 60 * 12):
            self._run_queue(minutes=minutes)
        self.assertEqual(set(sms.mapped("state")), {"process"})
        self._run_queue(minutes=60 * 25)
        self.assertEqual(set(sms.mapped("failure_type")), {OUTCOME_UNKNOWN})
        self._run_queue(minutes=60 * 26)
        self.assertEqual(self.iap.stats()["send_requests"], 1)
        self.assertEqual(self.iap.duplicates(), 0)

    def test_not_sent_fails_as_odoo_does(self):
        sms = self._sms(1, company=self.company_iap)
        self.env["ir.config_parameter"].sudo().set_param("sms.endpoint", DEAD_URL)
        self._run_queue()  # connection refused: certainly not sent
        self.assertEqual((sms.state, sms.failure_type), ("error", "sms_server"))
