from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import SmsProviderCase


@tagged("post_install", "-at_install")
class TestSkebbySending(SmsProviderCase):
    """Every sms.sms of a Skebby company goes through the fake Skebby, exactly once."""

    def test_queue_sends_each_message_once_marked_in_flight_first(self):
        sms = self._sms(12)
        with self._watch_calls(self.provider) as seen:
            self._run_queue()
        # at the moment of the call, every message was in flight with its reference
        self.assertEqual(len(seen), 12)
        uuids = dict(zip(sms.ids, sms.mapped("uuid"), strict=True))
        for sms_id, state, ref, attempts in seen:
            self.assertEqual((state, attempts), ("process", 1))
            self.assertEqual(ref, uuids[sms_id])
            self.assertLessEqual(len(ref), 32)
        self.assertEqual(set(sms.mapped("state")), {"pending"})
        self.assertEqual(set(sms.mapped("optical_provider_id").ids), {self.provider.id})
        self.assertEqual(
            set(sms.mapped("optical_provider_ref")), set(sms.mapped("uuid"))
        )
        stats = self.skebby.stats()
        self.assertEqual((stats["accepted"], stats["duplicates"]), (12, 0))
        self.assertEqual(set(self.skebby.messages), set(sms.mapped("uuid")))
        message = self.skebby.messages[sms[0].uuid]
        self.assertEqual(message["recipient"], sms[0].number)
        self.assertEqual(message["message"], sms[0].body)
        self.assertEqual(message["sender"], "OtticaRossi")
        self.assertEqual(message["message_type"], "GP")
        # a second run sends nothing more
        self._run_queue(minutes=5)
        self.assertEqual(self.skebby.stats()["send_requests"], 12)

    def test_numbers_normalised_and_refused_with_reason(self):
        sms = self.env["sms.sms"].create(
            [
                {
                    "number": "333 765 4321",
                    "body": "ok",
                    "optical_company_id": self.company.id,
                },
                {
                    "number": "02 12345678",
                    "body": "fisso",
                    "optical_company_id": self.company.id,
                },
                {
                    "number": "333 1234567 / 347 1234567",
                    "body": "due",
                    "optical_company_id": self.company.id,
                },
                {
                    "number": "333 1234567 int. 21",
                    "body": "interno",
                    "optical_company_id": self.company.id,
                },
                {
                    "number": "12",
                    "body": "corto",
                    "optical_company_id": self.company.id,
                },
            ]
        )
        self._run_queue()
        ok, landline, several, extension, invalid = sms
        self.assertEqual((ok.state, ok.number), ("pending", "+393337654321"))
        self.assertEqual(self.skebby.messages[ok.uuid]["recipient"], "+393337654321")
        self.assertEqual(
            [
                (s.state, s.failure_type)
                for s in (landline, several, extension, invalid)
            ],
            [
                ("error", "optical_not_mobile"),
                ("error", "optical_several_numbers"),
                ("error", "optical_extension"),
                ("error", "sms_number_format"),
            ],
        )
        self.assertEqual(several.optical_failure_reason, "333 1234567 / 347 1234567")
        self.assertEqual(self.skebby.stats()["send_requests"], 1)

    def test_scripted_faults_no_duplicate_no_loss(self):
        """500, 429, slow, reset, malformed, accepted-then-timeout: all sent once."""
        sms = self._sms(10)
        self.skebby.script("500", "429", "slow", "reset", "malformed", "accept_timeout")
        self.provider.parallel_requests = 1  # faults hit the first six messages
        rounds = self._drain()
        self.assertLessEqual(rounds, 4)
        self.assertEqual(set(sms.mapped("state")), {"pending"})
        stats = self.skebby.stats()
        self.assertEqual(stats["duplicates"], 0)
        self.assertEqual(stats["unique"], 10)
        self.assertEqual(set(self.skebby.accepted), set(sms.mapped("uuid")))
        # 10 first sends + 6 faults; malformed and accepted-then-timeout were kept by
        # the provider, so only 4 had to be sent again; 5 uncertain ones were asked
        self.assertEqual(stats["send_requests"], 10 + 4)
        self.assertGreaterEqual(stats["lookups"], 5)
        by_uuid = {s.uuid: s for s in sms}
        for uuid in self.skebby.accepted:
            self.assertEqual(by_uuid[uuid].state, "pending")

    def test_rate_limit_honours_retry_after_and_defers_the_batch(self):
        sms = self._sms(6)
        self.provider.parallel_requests = 1
        self.skebby.script("429")
        self._run_queue()
        self.assertEqual(self.skebby.stats()["send_requests"], 1)
        self.assertEqual(set(sms.mapped("state")), {"outgoing"})
        now = fields.Datetime.now()
        for message in sms:
            # Retry-After 2 s < backoff of 60 s for a first attempt
            self.assertGreaterEqual(
                message.optical_next_try_at, now + timedelta(seconds=50)
            )
        # only the first one was sent: the others' attempt does not count
        self.assertEqual(sms.mapped("optical_attempt_count"), [1, 0, 0, 0, 0, 0])
        self._run_queue()  # not due yet: nothing sent
        self.assertEqual(self.skebby.stats()["send_requests"], 1)
        self._run_queue(minutes=2)
        self.assertEqual(set(sms.mapped("state")), {"pending"})
        self.assertEqual(self.skebby.stats()["accepted"], 6)

    def test_temporary_failures_give_up_after_max_attempts(self):
        sms = self._sms(1)
        self.provider.max_attempts = 3
        self.skebby.script("429", "429", "429")
        self._drain(rounds=5)
        self.assertEqual((sms.state, sms.failure_type), ("error", "sms_server"))
        self.assertIn("3 attempts", sms.optical_failure_reason)
        self.assertEqual(self.skebby.stats()["accepted"], 0)

    def test_permanent_failures_per_recipient(self):
        """One batch, mixed outcomes: each message gets its own."""
        sms = self._sms(6)
        rules = ["invalid", "landline", "blocked", None, None, None]
        for message, rule in zip(sms, rules, strict=True):
            if rule:
                self.skebby.numbers[message.number] = rule
        self.provider.parallel_requests = 1
        self._run_queue()
        self.assertEqual(
            [(s.state, s.failure_type) for s in sms],
            [
                ("error", "sms_number_format"),
                ("error", "optical_not_mobile"),
                ("error", "optical_blocked"),
                ("pending", False),
                ("pending", False),
                ("pending", False),
            ],
        )
        self.assertIn("INVALID_RECIPIENT", sms[0].optical_failure_reason)
        self._run_queue(minutes=120)
        self.assertEqual(self.skebby.stats()["send_requests"], 6)

    def test_insufficient_credit_fails_at_once_and_stops_the_batch(self):
        sms = self._sms(5)
        self.skebby.numbers[sms[0].number] = "credit"
        self.provider.parallel_requests = 1
        self._run_queue()
        self.assertEqual(set(sms.mapped("state")), {"error"})
        self.assertEqual(set(sms.mapped("failure_type")), {"sms_credit"})
        self.assertEqual(self.skebby.stats()["send_requests"], 1)

    def test_wrong_credentials(self):
        sms = self._sms(2)
        self.provider.password = "wrong"
        self._run_queue()
        self.assertEqual(set(sms.mapped("failure_type")), {"sms_acc"})
        self.assertEqual(self.skebby.stats()["send_requests"], 0)

    def test_expired_session_logs_in_again(self):
        sms = self._sms(3)
        self.provider.parallel_requests = 1
        self.skebby.script(None, "expire")
        self._run_queue()
        self.assertEqual(set(sms.mapped("state")), {"pending"})
        self.assertEqual(self.skebby.logins, 2)
        stats = self.skebby.stats()
        self.assertEqual((stats["send_requests"], stats["accepted"]), (4, 3))

    def test_crash_after_marking_in_flight(self):
        """A worker died after marking in flight: ask the provider, never resend.

        One message had reached the provider before the crash, the other had not.
        """
        reached, lost = self._sms(2)
        now = fields.Datetime.now()
        items = [
            {
                "id": s.id,
                "uuid": s.uuid,
                "number": s.number,
                "body": s.body,
                "callback": False,
            }
            for s in reached | lost
        ]
        (reached | lost)._optical_mark_in_flight(self.provider, items, now)
        self.provider._optical_call_send(items[:1])  # the call that went out
        self.assertEqual(reached.state, "process")
        # a fresh run does not touch rows in flight since less than 5 minutes
        self._run_queue()
        self.assertEqual((reached.state, lost.state), ("process", "process"))
        self.assertEqual(self.skebby.stats()["send_requests"], 1)
        self._run_queue(minutes=6)
        self.assertEqual((reached.state, lost.state), ("pending", "pending"))
        stats = self.skebby.stats()
        self.assertEqual((stats["send_requests"], stats["duplicates"]), (2, 0))
        self.assertEqual(lost.optical_attempt_count, 2)

    def test_provider_unreachable_then_back(self):
        sms = self._sms(2)
        self.provider.api_url = "http://127.0.0.1:9/API/v1.0/REST/"
        self._run_queue()
        self.assertEqual(set(sms.mapped("state")), {"outgoing"})
        self.assertTrue(all(sms.mapped("optical_next_try_at")))
        self.provider.api_url = f"{self.skebby.url}/API/v1.0/REST/"
        self._run_queue(minutes=2)
        self.assertEqual(set(sms.mapped("state")), {"pending"})

    def test_lock_skips_rows_not_queued(self):
        sms = self._sms(3)
        sms[0].state = "process"
        sms[1].to_delete = True
        self.assertEqual(sms._optical_lock(sms.ids, "outgoing"), [sms[2].id])
