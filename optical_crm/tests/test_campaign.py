import datetime as dt

from freezegun import freeze_time

from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged

from .campaign_common import TUESDAY_11, CampaignCase


@tagged("post_install", "-at_install")
class TestCampaignSms(CampaignCase):
    @freeze_time(TUESDAY_11)
    def test_full_flow(self):
        campaign = self.new_campaign(control_percent=20)
        self.assertEqual(campaign.mailing_id.mailing_type, "sms")
        self.assertEqual(campaign.mailing_id.optical_campaign_id, campaign)
        campaign.action_schedule()
        # due now and inside the send window: the audience is frozen at once
        self.assertEqual(campaign.state, "running")
        self.assertEqual(len(self.recipients(campaign, "pending")), 4)
        with self.mockSMSGateway():
            self.send_due()
            self.assertEqual(campaign.state, "running", "until the queue is empty")
            self.env["sms.sms"].sudo()._process_queue()
        self.send_due()
        self.assertEqual(campaign.state, "done")
        states = self.states(campaign)
        self.assertEqual(states[self.no_consent], ("excluded", "no_consent"))
        self.assertEqual(states[self.landline], ("excluded", "not_mobile"))
        self.assertEqual(states[self.twin], ("excluded", "duplicate"))
        self.assertNotIn(self.adult, states)
        eligible = self.anna | self.bruno | self.carla | self.dario | self.elena
        control = self.recipients(campaign, "control").partner_id
        sent = self.recipients(campaign, "sent").partner_id
        self.assertEqual(len(control), 1, "20% of 5 eligible customers")
        self.assertEqual(control | sent, eligible)
        self.assertFalse(control & sent)
        # one SMS per customer through the gateway, personalised, with a trace
        self.assertSMSTraces(
            [
                {
                    "partner": partner,
                    "number": partner.phone_sanitized,
                    "trace_status": "pending",
                    "content": f"Ciao {partner.name.split()[0]}, ti aspettiamo da "
                    "Ottica Bellavista!",
                }
                for partner in sent
            ],
            campaign.mailing_id,
            sent,
        )
        numbers = set(self.kids.mapped("phone_sanitized"))
        self.assertEqual(len([s for s in self._sms if s["number"] in numbers]), 4)
        # every message and the control group are in the message log
        logs = self.env["optical.contact.log"].search(
            [("res_model", "=", "optical.campaign"), ("res_id", "=", campaign.id)]
        )
        self.assertEqual(logs.filtered("is_control").partner_id, control)
        sent_logs = logs - logs.filtered("is_control")
        self.assertEqual(sent_logs.partner_id, sent)
        self.assertEqual(
            sent_logs.mailing_trace_id,
            self.recipients(campaign, "sent").mailing_trace_id,
        )
        self.assertTrue(all(log.channel == "sms" for log in logs))
        campaign.action_refresh_results()
        self.assertRecordValues(
            campaign,
            [
                {
                    "audience_count": 8,
                    "excluded_count": 3,
                    "excluded_no_consent": 1,
                    "excluded_no_address": 1,
                    "excluded_duplicate": 1,
                    "control_count": 1,
                    "handed_count": 4,
                    "sent_count": 4,
                    "pending_count": 0,
                }
            ],
        )
        # the provider reports deliveries and a click
        trace = self.recipients(campaign, "sent")[0].mailing_trace_id
        trace.sms_tracker_ids._action_update_from_sms_state("sent")
        trace.set_clicked()
        # and the customer books from the landing page (once, whatever the clicks)
        Campaign = self.env["optical.campaign"]
        Campaign._optical_record_booking(trace)
        Campaign._optical_record_booking(trace)
        campaign.action_refresh_results()
        self.assertEqual(campaign.delivered_count, 1)
        self.assertEqual(campaign.clicked_count, 1)
        self.assertEqual(campaign.booked_count, 1)

    @freeze_time(TUESDAY_11)
    def test_never_twice(self):
        campaign = self.new_campaign()
        campaign.action_schedule()
        # a previous run was interrupted after the mailing queued Anna's SMS
        campaign.mailing_id.sudo()._action_send_mail(res_ids=self.anna.ids)
        with self.mockSMSGateway():
            self.send_due()
            self.send_due()  # the scheduled action running again changes nothing
            campaign.write({"state": "running"})
            self.send_due()
        sms = (
            self.env["sms.sms"]
            .sudo()
            .search([("mailing_id", "=", campaign.mailing_id.id)])
        )
        self.assertEqual(len(sms), 5)
        self.assertEqual(len(set(sms.mapped("number"))), 5)
        anna = campaign.recipient_ids.filtered(lambda r: r.partner_id == self.anna)
        self.assertEqual(anna.state, "sent")
        self.assertTrue(anna.mailing_trace_id)
        self.assertEqual(
            self.env["optical.contact.log"].search_count(
                [("res_id", "=", campaign.id), ("partner_id", "=", self.anna.id)]
            ),
            1,
        )

    def test_quiet_hours_defer(self):
        campaign = self.new_campaign()
        # Saturday 14 March 2026, 19:30 in Rome: after closing time
        with freeze_time(dt.datetime(2026, 3, 14, 18, 30)):
            campaign.action_schedule()
            with self.capture_triggers(
                "optical_crm.ir_cron_optical_campaign_send"
            ) as capture:
                self.send_due()
        self.assertEqual(campaign.state, "scheduled", "nothing sent, nothing lost")
        self.assertFalse(campaign.recipient_ids)
        # Sunday is closed: Monday 09:00 in Rome
        self.assertIn(dt.datetime(2026, 3, 16, 8, 0), capture.records.mapped("call_at"))
        with freeze_time(dt.datetime(2026, 3, 15, 10, 0)):  # Sunday
            self.send_due()
        self.assertFalse(campaign.recipient_ids)
        with freeze_time(dt.datetime(2026, 3, 16, 8, 0)):
            self.send_due()
        self.assertEqual(len(self.recipients(campaign, "sent")), 5)
        self.assertFalse(self.recipients(campaign, "pending"))

    def test_frequency_cap(self):
        campaign = self.new_campaign()
        Policy = self.env["optical.contact.policy"]
        for days in (3, 10):
            Policy._optical_log_sent(
                [
                    {
                        "partner_id": self.bruno.id,
                        "company_id": self.company.id,
                        "channel": "email",
                        "datetime": TUESDAY_11 - dt.timedelta(days=days),
                        "res_model": "res.partner",
                        "res_id": self.bruno.id,
                    }
                ]
            )
        with freeze_time(TUESDAY_11):
            campaign.action_schedule()
            self.send_due()
        self.assertEqual(
            self.states(campaign)[self.bruno], ("excluded", "frequency_cap")
        )
        # 25 days later one of the two messages left the 30-day window
        later = self.new_campaign(
            name="Second", date_start=dt.date(2026, 4, 1), date_end=dt.date(2026, 4, 30)
        )
        with freeze_time(dt.datetime(2026, 4, 3, 9, 0)):
            later.action_schedule()
            self.send_due()
        self.assertEqual(self.states(later)[self.bruno], ("sent", False))
        # the others got the first campaign 24 days ago and now the second, Bruno
        # has his message of 7 March: a third campaign finds them all capped, and
        # Anna's twin (same mobile number) does not get it in her place
        third = self.new_campaign(
            name="Third", date_start=dt.date(2026, 4, 1), date_end=dt.date(2026, 4, 30)
        )
        with freeze_time(dt.datetime(2026, 4, 3, 10, 0)):
            action = third.action_preview()
            preview = self.env["optical.campaign.preview"].browse(action["res_id"])
            self.assertEqual(preview.excluded_frequency_cap, 5)
            self.assertEqual(preview.excluded_duplicate, 1)
            self.assertEqual(preview.eligible_count, 0)
            with self.assertRaisesRegex(UserError, "Frequency cap reached: 5"):
                third.action_schedule()

    @freeze_time(TUESDAY_11)
    def test_hourly_limit_and_batches(self):
        self.company.optical_hourly_limit = 2
        self.env["ir.config_parameter"].sudo().set_param(
            "optical_crm.campaign_batch_size", 1
        )
        campaign = self.new_campaign()
        campaign.action_schedule()
        with self.capture_triggers(
            "optical_crm.ir_cron_optical_campaign_send"
        ) as capture:
            self.send_due()
        self.assertEqual(len(self.recipients(campaign, "sent")), 2)
        self.assertEqual(len(self.recipients(campaign, "pending")), 3)
        self.assertEqual(campaign.state, "running")
        self.assertIn(
            dt.datetime(2026, 3, 10, 11, 0), capture.records.mapped("call_at")
        )
        with freeze_time(dt.datetime(2026, 3, 10, 11, 0)):
            self.send_due()
        self.assertEqual(len(self.recipients(campaign, "sent")), 4)
        with freeze_time(dt.datetime(2026, 3, 10, 12, 0)):
            self.send_due()
        self.assertEqual(len(self.recipients(campaign, "sent")), 5)
        self.assertFalse(self.recipients(campaign, "pending"))

    @freeze_time(TUESDAY_11)
    def test_max_batches_per_run(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "optical_crm.campaign_batch_size", 2
        )
        campaign = self.new_campaign()
        campaign.action_schedule()
        with self.capture_triggers(
            "optical_crm.ir_cron_optical_campaign_send"
        ) as capture:
            self.send_due(max_batches=1)
        self.assertEqual(len(self.recipients(campaign, "sent")), 2)
        self.assertTrue(capture.records, "the action runs again for the rest")
        self.send_due()
        self.assertEqual(len(self.recipients(campaign, "sent")), 5)

    def test_period_over_and_consent_revoked_meanwhile(self):
        self.company.optical_hourly_limit = 3
        campaign = self.new_campaign(date_end=dt.date(2026, 3, 10))
        with freeze_time(TUESDAY_11):
            campaign.action_schedule()
            self.send_due()
        self.assertEqual(len(self.recipients(campaign, "sent")), 3)
        pending = self.recipients(campaign, "pending").partner_id
        self.assertEqual(len(pending), 2)
        # one of them revokes consent: checked again at send time
        pending[0]._optical_record_consent("sms", "marketing", False, "phone")
        with freeze_time(dt.datetime(2026, 3, 10, 11, 0)):
            self.send_due()
        self.assertEqual(
            self.states(campaign)[pending[0]], ("excluded", "consent_revoked")
        )
        self.assertEqual(self.states(campaign)[pending[1]], ("sent", False))
        # 19:00 in Rome: three more messages, then the window closes, and on the
        # next opening the period is over
        campaign2 = self.new_campaign(name="Short", date_end=dt.date(2026, 3, 10))
        with freeze_time(dt.datetime(2026, 3, 10, 18, 0)):
            campaign2.action_schedule()
            self.send_due()
        self.assertEqual(len(self.recipients(campaign2, "sent")), 3, "hourly limit")
        with freeze_time(dt.datetime(2026, 3, 10, 19, 0)):
            self.send_due()
        self.assertEqual(len(self.recipients(campaign2, "sent")), 3, "window closed")
        with freeze_time(dt.datetime(2026, 3, 11, 8, 0)):
            self.send_due()
        self.assertEqual(campaign2.state, "done")
        self.assertTrue(self.recipients(campaign2, "cancelled"))
        self.assertEqual(
            set(self.recipients(campaign2, "cancelled").mapped("reason")),
            {"period_over"},
        )

    @freeze_time(TUESDAY_11)
    def test_cancel_stops_what_is_not_sent(self):
        campaign = self.new_campaign()
        campaign.action_schedule()
        self.send_due()  # queued, not handed to the provider yet
        self.assertEqual(len(self.recipients(campaign, "sent")), 5)
        campaign.action_cancel()
        self.assertEqual(campaign.state, "cancelled")
        self.assertEqual(len(self.recipients(campaign, "cancelled")), 5)
        self.assertEqual(
            set(self.recipients(campaign, "cancelled").mapped("reason")),
            {"campaign_cancelled"},
        )
        sms = (
            self.env["sms.sms"]
            .sudo()
            .search([("mailing_id", "=", campaign.mailing_id.id)])
        )
        self.assertEqual(set(sms.mapped("state")), {"canceled"})
        self.assertEqual(
            set(campaign.mailing_id.mailing_trace_ids.mapped("trace_status")),
            {"cancel"},
        )
        with self.mockSMSGateway():
            self.env["sms.sms"].sudo()._process_queue()
        numbers = set(self.kids.mapped("phone_sanitized"))
        self.assertFalse([s for s in self._sms if s["number"] in numbers])
        self.assertFalse(
            self.env["optical.contact.log"].search(
                [("res_model", "=", "optical.campaign"), ("res_id", "=", campaign.id)]
            ),
            "cancelled messages do not count toward the frequency cap",
        )
        # a campaign cancelled before its first batch sends nothing
        other = self.new_campaign(name="Other")
        other.action_schedule()
        other.action_cancel()
        self.send_due()
        self.assertEqual(
            set(other.recipient_ids.mapped("state")), {"cancelled", "excluded"}
        )
        self.assertFalse(
            self.env["sms.sms"]
            .sudo()
            .search([("mailing_id", "=", other.mailing_id.id)])
        )

    @freeze_time(TUESDAY_11)
    def test_bad_input(self):
        with self.assertRaisesRegex(ValidationError, "before it starts"):
            self.new_campaign(
                date_start=dt.date(2026, 3, 20), date_end=dt.date(2026, 3, 1)
            )
        with self.assertRaisesRegex(ValidationError, "outside its period"):
            self.new_campaign(schedule_date=dt.datetime(2026, 4, 2, 9, 0))
        empty = self.env["optical.segment"].create({"name": "Nobody", "age_min": 90})
        campaign = self.new_campaign(segment_id=empty.id)
        with self.assertRaisesRegex(UserError, "has no customers"):
            campaign.action_schedule()
        campaign.segment_id = self.env["optical.segment"].create(
            {"name": "No consent", "domain": f"[('id', '=', {self.no_consent.id})]"}
        )
        with self.assertRaisesRegex(UserError, "No consent recorded: 1"):
            campaign.action_schedule()
        campaign.segment_id = self.segment
        campaign.sms_body = "Promo! " * 300
        with self.assertRaisesRegex(UserError, "at most 10"):
            campaign.action_schedule()
        campaign.sms_body = " "
        with self.assertRaisesRegex(UserError, "Write the text of the SMS"):
            campaign.action_schedule()
        # refused when written (the mailing's check), and never scheduled
        with self.assertRaisesRegex(UserError, "health data"):
            campaign.sms_body = (
                "Ciao, la tua ricetta: {{ object.optical_prescription_ids }}"
            )
            campaign.action_schedule()
        email = self.new_campaign(channel="email", email_subject=False)
        email.email_body = "<p>Ciao</p>"
        with self.assertRaisesRegex(UserError, "needs a subject"):
            email.action_schedule()
        app = self.new_campaign()
        self.env["optical.consent"].sudo().search([("channel", "=", "sms")]).unlink()
        with self.assertRaisesRegex(UserError, "No customer has a marketing consent"):
            app.action_schedule()
        # nothing was started, nothing half-sent
        for record in (campaign, email, app):
            self.assertEqual(record.state, "draft")
        self.send_due()
        self.assertFalse(
            self.env["optical.campaign.recipient"].search(
                [("campaign_id", "in", (campaign | email | app).ids)]
            )
        )
        self.assertFalse(
            self.env["sms.sms"]
            .sudo()
            .search([("mailing_id", "in", (campaign | app).mailing_id.ids)])
        )
        # the campaign's mailing is only sent by the campaign
        with self.assertRaisesRegex(UserError, "send it from the campaign"):
            campaign.mailing_id.action_launch()

    @freeze_time(TUESDAY_11)
    def test_started_campaign_is_locked(self):
        campaign = self.new_campaign()
        campaign.action_schedule()
        self.send_due()
        with self.assertRaisesRegex(UserError, "keeps its channel"):
            campaign.segment_id = self.env["optical.segment"].create({"name": "Other"})
        with self.assertRaisesRegex(UserError, "keeps its channel"):
            campaign.sms_body = "Un altro testo"
        with self.assertRaisesRegex(UserError, "cannot be deleted"):
            campaign.unlink()


@tagged("post_install", "-at_install")
class TestCampaignPreview(CampaignCase):
    @freeze_time(TUESDAY_11)
    def test_messages_print_the_sending_shops_figures(self):
        """The profile is per shop: a campaign of shop B previews and sends shop
        B's recall date, never shop A's."""
        shop_b = self.env["res.company"].create({"name": "Ottica Due"})
        self.env.user.company_ids |= shop_b
        self.anna.optical_next_exam_date = dt.date(2026, 10, 15)
        self.anna.with_company(shop_b).optical_next_exam_date = dt.date(2027, 1, 20)
        self.anna._optical_record_consent(
            "sms", "marketing", True, "store", company=shop_b
        )
        Campaign = self.env["optical.campaign"].with_company(shop_b)
        segment = (
            self.env["optical.segment"]
            .with_company(shop_b)
            .create({"name": "Anna", "domain": repr([("id", "=", self.anna.id)])})
        )
        campaign = Campaign.create(
            {
                "name": "Recall B",
                "segment_id": segment.id,
                "channel": "sms",
                "date_start": dt.date(2026, 3, 1),
                "date_end": dt.date(2026, 3, 31),
                "sms_body": "Ciao {{ object.optical_first_name }}, visita entro "
                "{{ object.optical_next_exam_words }} da "
                "{{ object.optical_shop_name }}",
            }
        )
        self.assertEqual(campaign.company_id, shop_b)
        expected = "Ciao Anna, visita entro 20 gennaio 2027 da Ottica Due"
        # previewed from shop A's session: still shop B's figures
        action = campaign.with_company(self.company).action_preview()
        preview = self.env["optical.campaign.preview"].browse(action["res_id"])
        self.assertEqual(preview.sample_ids.mapped("body"), [expected])
        campaign.with_company(self.company).action_schedule()
        with self.mockSMSGateway():
            self.send_due()
        sms = (
            self.env["sms.sms"]
            .sudo()
            .search([("mailing_id", "=", campaign.mailing_id.id)])
        )
        self.assertEqual(len(sms), 1)
        self.assertTrue(sms.body.startswith(expected), sms.body)
        # shop A keeps its own recall date for its messages
        self.assertEqual(
            self.anna.with_company(self.company).optical_next_exam_words,
            "15 ottobre 2026",
        )

    @freeze_time(TUESDAY_11)
    def test_preview_and_test_send(self):
        self.anna.optical_next_exam_date = dt.date(2026, 10, 15)
        campaign = self.new_campaign(
            control_percent=20,
            sms_body="Ciao {{ object.optical_first_name }}, visita entro "
            "{{ object.optical_next_exam_words }} da {{ object.optical_shop_name }}: "
            "https://www.example.com/prenota",
        )
        action = campaign.with_user(self.user).action_preview()
        preview = self.env["optical.campaign.preview"].browse(action["res_id"])
        self.assertRecordValues(
            preview,
            [
                {
                    "audience_count": 8,
                    "eligible_count": 5,
                    "control_count": 1,
                    "message_count": 4,
                    "excluded_count": 3,
                    "excluded_no_consent": 1,
                    "excluded_no_address": 1,
                    "excluded_blacklisted": 0,
                    "excluded_frequency_cap": 0,
                    "excluded_duplicate": 1,
                    "sms_segments": 1,
                    "problems": False,
                }
            ],
        )
        self.assertEqual(len(preview.sample_ids), 3)
        self.assertEqual(
            preview.sample_ids[0].body,
            "Ciao Anna, visita entro 15 ottobre 2026 da Ottica Bellavista: "
            "https://www.example.com/prenota",
        )
        # blacklisting Bruno shows in the preview at once
        self.env["phone.blacklist"].sudo().create(
            {"number": self.bruno.phone_sanitized}
        )
        preview.action_refresh()
        self.assertEqual(preview.excluded_blacklisted, 1)
        # a long text: two parts, with the opt-out link
        campaign.sms_body = "Ciao {{ object.optical_first_name }}! " + "x" * 150
        preview.action_refresh()
        self.assertEqual(preview.sms_segments, 2)
        # test send to a number of the user's choice, through the SMS gateway
        preview.test_recipient = "333 999 8877"
        with self.mockSMSGateway():
            preview.with_user(self.user).action_test_send()
        self.assertSMSIapSent(["+393339998877"])
        self.assertIn("+393339998877", preview.test_result)
        self.assertFalse(
            campaign.recipient_ids, "a test send touches no customer and no ledger"
        )
        preview.test_recipient = "not a number"
        with self.assertRaisesRegex(UserError, "not a valid mobile number"):
            preview.action_test_send()
        # and the gateway refusing it is reported, not hidden
        preview.test_recipient = "+39 333 999 8877"
        with self.mockSMSGateway(sim_error="credit"):
            preview.action_test_send()
        self.assertIn("could not be sent", preview.test_result)

    @freeze_time(TUESDAY_11)
    def test_email_campaign(self):
        campaign = self.new_campaign(
            channel="email",
            email_subject="{{ object.optical_first_name }}, tocca a te",
            email_body="<p>Ciao <t t-out='object.optical_first_name'/>, "
            "ti aspettiamo da <t t-out='object.optical_shop_name'/>.</p>",
        )
        action = campaign.action_preview()
        preview = self.env["optical.campaign.preview"].browse(action["res_id"])
        self.assertEqual(preview.eligible_count, 7, "Gina and the twin have emails")
        self.assertEqual(preview.excluded_no_consent, 1)
        self.assertEqual(preview.sample_ids[0].subject, "Anna, tocca a te")
        preview.test_recipient = "marta@example.it"
        with self.mock_mail_gateway():
            preview.action_test_send()
        self.assertSentEmail(
            campaign.mailing_id.email_from,
            ["marta@example.it"],
            subject="[TEST] Anna, tocca a te",
        )
        campaign.action_schedule()
        with self.mock_mail_gateway():
            self.send_due()
            self.env["mail.mail"].sudo().process_email_queue()
        sent = self.recipients(campaign, "sent").partner_id
        self.assertEqual(len(sent), 7)
        self.assertEqual(self.states(campaign)[self.twin], ("sent", False))
        self.assertSentEmail(
            campaign.mailing_id.email_from,
            [self.bruno],
            subject="Bruno, tocca a te",
        )
        self.assertEqual(
            len(self._mails), 7, "one email per customer (the test was before)"
        )

    def test_use_template(self):
        template = self.env.ref("optical_crm.optical_campaign_template_back_to_school")
        self.assertFalse(template.active)
        self.assertFalse(template.mailing_id.active)
        with freeze_time(dt.datetime(2026, 9, 5, 9, 0)):
            action = template.with_user(self.user).action_use_template()
            campaign = self.env["optical.campaign"].browse(action["res_id"])
            # inside this year's period: from today to its end
            self.assertEqual(campaign.date_start, dt.date(2026, 9, 5))
            self.assertEqual(campaign.date_end, dt.date(2026, 9, 30))
        self.assertRecordValues(
            campaign,
            [
                {
                    "state": "draft",
                    "active": True,
                    "is_template": False,
                    "template_id": template.id,
                    "company_id": self.company.id,
                    "control_percent": 10.0,
                }
            ],
        )
        self.assertNotEqual(campaign.segment_id, template.segment_id)
        self.assertTrue(campaign.segment_id.active)
        self.assertEqual(campaign.segment_id.age_max, 18)
        self.assertNotEqual(campaign.mailing_id, template.mailing_id)
        self.assertTrue(campaign.mailing_id.active)
        self.assertEqual(campaign.sms_body, template.sms_body)
        self.assertIn("{{ object.optical_first_name }}", campaign.sms_body)
        with freeze_time(dt.datetime(2026, 11, 2, 9, 0)):
            spring = self.env.ref(
                "optical_crm.optical_campaign_template_sunglasses"
            ).action_use_template()
            spring = self.env["optical.campaign"].browse(spring["res_id"])
            self.assertEqual(spring.date_start, dt.date(2027, 4, 1))
            self.assertEqual(spring.date_end, dt.date(2027, 5, 31))

    def test_form_and_channel_change(self):
        with Form(self.env["optical.campaign"].with_user(self.user)) as form:
            form.name = "Ottobre"
            form.segment_id = self.segment
            form.channel = "phone"
            form.caller_ids.add(self.user)
        campaign = form.record
        self.assertFalse(campaign.mailing_id)
        with Form(campaign.with_user(self.user)) as form:
            form.channel = "email"
            form.email_subject = "Ottobre"
        self.assertEqual(campaign.mailing_id.mailing_type, "mail")
        self.assertEqual(campaign.mailing_id.subject, "Ottobre")
        self.assertEqual(
            campaign.mailing_id.mailing_domain,
            repr([("optical_segment_filter", "=", self.segment.id)]),
        )


@tagged("post_install", "-at_install")
class TestCampaignPhone(CampaignCase):
    @freeze_time(TUESDAY_11)
    def test_calls_round_robin_and_outcomes(self):
        caller_2 = new_test_user(
            self.env, "camp_caller2", groups="optical_crm.group_optical_user"
        )
        campaign = self.new_campaign(
            channel="phone",
            caller_ids=[(6, 0, (self.user | caller_2).ids)],
            call_script="<p>Buongiorno, la chiamo da Ottica Bellavista...</p>",
        )
        campaign.action_schedule()
        self.send_due()
        sent = self.recipients(campaign, "sent")
        # landline is fine for a call; no_consent and the twin are not
        self.assertEqual(len(sent), 6)
        self.assertEqual(self.states(campaign)[self.twin], ("excluded", "duplicate"))
        activities = sent.activity_id
        self.assertEqual(len(activities), 6)
        self.assertEqual(set(activities.mapped("res_model")), {"res.partner"})
        self.assertEqual(
            activities.activity_type_id, self.env.ref("mail.mail_activity_data_call")
        )
        per_user = {
            user: len(activities.filtered(lambda a, u=user: a.user_id == u))
            for user in (self.user | caller_2)
        }
        self.assertEqual(set(per_user.values()), {3}, "calls shared in turn")
        self.assertIn("Ottica Bellavista", activities[0].note)
        self.assertFalse(
            self.env["optical.contact.log"].search([("res_id", "=", campaign.id)]),
            "a call counts as a contact once made",
        )
        # outcomes through the call list
        calls = sent.with_user(self.user)
        calls[0].action_call_booked()
        calls[1].action_call_not_reached()
        calls[2].action_call_refused()
        with self.assertRaisesRegex(UserError, "already has an outcome"):
            calls[0].action_call_reached()
        # or by marking the activity done
        calls[3].activity_id.with_user(calls[3].user_id).action_feedback("ok")
        self.assertEqual(
            sent.mapped("call_outcome")[:4],
            ["booked", "not_reached", "refused", "reached"],
        )
        self.assertFalse(sent[:4].activity_id.exists())
        touchpoints = self.env["optical.touchpoint"].search(
            [("res_model", "=", "optical.campaign"), ("res_id", "=", campaign.id)]
        )
        self.assertEqual(len(touchpoints), 4)
        self.assertEqual(
            touchpoints.filtered(lambda t: t.kind == "booking").partner_id,
            sent[0].partner_id,
        )
        logs = self.env["optical.contact.log"].search([("res_id", "=", campaign.id)])
        self.assertEqual(len(logs), 3, "reached, booked and refused customers")
        campaign.action_refresh_results()
        self.assertRecordValues(
            campaign,
            [
                {
                    "sent_count": 6,
                    "delivered_count": 3,
                    "failed_count": 1,
                    "booked_count": 1,
                }
            ],
        )
        # cancelling removes the calls not made yet
        campaign.action_cancel()
        self.assertFalse(sent[4:].activity_id.exists())
        self.assertEqual(sent[4:].mapped("state"), ["cancelled", "cancelled"])
        self.assertEqual(sent[0].state, "sent")
