from contextlib import contextmanager
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tests import TransactionCase, freeze_time

from .fake_providers import FakeSkebby, FakeTwilio


class SmsProviderMixin:
    """Fake Skebby and Twilio servers and one shop per provider.

    ``company`` sends through the fake Skebby (``provider``), ``company_twilio``
    through the fake Twilio (``provider_twilio``); both are in Italy.
    """

    @classmethod
    def _setup_providers(cls):
        cls.skebby = FakeSkebby().start()
        cls.addClassCleanup(cls.skebby.stop)
        cls.twilio = FakeTwilio().start()
        cls.addClassCleanup(cls.twilio.stop)
        italy = cls.env.ref("base.it")
        cls.company = cls.env.company
        cls.company.write({"country_id": italy.id})
        cls.company_twilio = cls.env["res.company"].create(
            {"name": "Ottica Twilio", "country_id": italy.id}
        )
        cls.env.user.company_ids |= cls.company_twilio
        Provider = cls.env["optical.sms.provider"]
        cls.provider = Provider.create(
            {
                "name": "Skebby",
                "provider_type": "skebby",
                "api_url": f"{cls.skebby.url}/API/v1.0/REST/",
                "username": cls.skebby.username,
                "password": cls.skebby.password,
                "sender": "OtticaRossi",
                "price_per_segment": 0.045,
                "timeout": 0.4,
                "parallel_requests": 4,
                "company_id": cls.company.id,
            }
        )
        cls.provider_twilio = Provider.create(
            {
                "name": "Twilio",
                "provider_type": "twilio",
                "api_url": cls.twilio.url,
                "account_sid": cls.twilio.account_sid,
                "auth_token": cls.twilio.auth_token,
                "sender": "OtticaTw",
                "price_per_segment": 0.07,
                "timeout": 0.4,
                "parallel_requests": 4,
                "company_id": cls.company_twilio.id,
            }
        )

    def _reset_fakes(self):
        self.skebby.reset()
        self.twilio.reset()

    def _sms(
        self, count, company=None, body="Ciao cliente %(i)s, occhiali al 20%%", start=0
    ):
        """Queued SMS to distinct Italian mobiles."""
        company = company or self.company
        return (
            self.env["sms.sms"]
            .sudo()
            .create(
                [
                    {
                        "number": f"+39333{start + i:07d}",
                        "body": body % {"i": start + i},
                        "optical_company_id": company.id,
                    }
                    for i in range(count)
                ]
            )
        )

    def _run_queue(self, minutes=0):
        """Run the SMS queue ``minutes`` from now (retries become due)."""
        at = fields.Datetime.now() + timedelta(minutes=minutes)
        with freeze_time(at):
            self.env["sms.sms"]._process_queue()
        self.env["sms.sms"].invalidate_model()

    def _drain(self, rounds=8):
        """Run the queue until nothing is queued or in flight (time moving on)."""
        for round_ in range(rounds):
            self._run_queue(minutes=90 * round_)
            left = self.env["sms.sms"].search_count(
                [
                    ("state", "in", ("outgoing", "process")),
                    ("optical_provider_id", "!=", False),
                ]
            )
            if not left:
                return round_ + 1
        return rounds

    @contextmanager
    def _watch_calls(self, provider):
        """Record the DB state of the messages at the moment of each provider call."""
        seen = []
        original = type(provider)._optical_call_send

        def call_send(provider_self, items):
            ids = [item["id"] for item in items]
            self.env.cr.execute(
                "SELECT id, state, optical_provider_ref, optical_attempt_count "
                "FROM sms_sms WHERE id = ANY(%s)",
                [ids],
            )
            seen.extend(self.env.cr.fetchall())
            return original(provider_self, items)

        with patch.object(type(provider), "_optical_call_send", call_send):
            yield seen


class SmsProviderCase(SmsProviderMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_providers()

    def setUp(self):
        super().setUp()
        self._reset_fakes()
