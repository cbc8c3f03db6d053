import datetime as dt

from freezegun import freeze_time

from odoo.tests import tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from .campaign_common import TUESDAY_11


@tagged("post_install", "-at_install")
class TestCampaignResults(AccountTestInvoicingCommon):
    """Conversions and revenue of a campaign, against its control group."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.groups_id += cls.env.ref("optical_crm.group_optical_manager")
        cls.partners = cls.env["res.partner"].create(
            [
                {"name": f"Cliente {index}", "mobile": f"+39 333 200 000{index}"}
                for index in range(4)
            ]
        )
        cls.partners._optical_record_consent("sms", "marketing", True, "store")
        cls.segment = cls.env["optical.segment"].create(
            {"name": "Tutti", "domain": repr([("id", "in", cls.partners.ids)])}
        )

    def test_conversions_revenue_uplift(self):
        campaign = self.env["optical.campaign"].create(
            {
                "name": "Primavera",
                "segment_id": self.segment.id,
                "date_start": dt.date(2026, 3, 1),
                "date_end": dt.date(2026, 3, 31),
                "control_percent": 50,
                "sms_body": "Ciao {{ object.optical_first_name }}!",
            }
        )
        with freeze_time(TUESDAY_11):
            campaign.action_schedule()
            self.env["optical.campaign"]._cron_send()
        contacted = campaign.recipient_ids.filtered(lambda r: r.state == "sent")
        control = campaign.recipient_ids.filtered(lambda r: r.state == "control")
        self.assertEqual((len(contacted), len(control)), (2, 2))
        # both contacted customers buy within the window, one of the control group
        for recipient, amount in zip(contacted, (100.0, 150.0), strict=True):
            self.init_invoice(
                "out_invoice",
                recipient.partner_id,
                "2026-03-20",
                post=True,
                amounts=[amount],
            )
        self.init_invoice(
            "out_invoice",
            control[0].partner_id,
            "2026-03-25",
            post=True,
            amounts=[80.0],
        )
        # too late to count
        self.init_invoice(
            "out_invoice",
            contacted[0].partner_id,
            "2026-05-30",
            post=True,
            amounts=[999.0],
        )
        # a customer opts out after the message
        contacted[1].partner_id._optical_record_consent(
            "sms", "marketing", False, "unsubscribe"
        )
        campaign.action_refresh_results()
        self.assertRecordValues(
            campaign,
            [
                {
                    "audience_count": 4,
                    "control_count": 2,
                    "converted_count": 2,
                    "revenue": 250.0,
                    "control_converted_count": 1,
                    "control_revenue": 80.0,
                    "conversion_rate": 100.0,
                    "control_conversion_rate": 50.0,
                    "uplift": 50.0,
                    "incremental_revenue": 170.0,
                    "opted_out_count": 1,
                }
            ],
        )
        # the scheduled refresh does the same for campaigns in their window
        campaign.revenue = 0.0
        with freeze_time(dt.datetime(2026, 4, 15, 10, 0)):
            self.env["optical.campaign"]._cron_refresh_results()
        self.assertEqual(campaign.revenue, 250.0)
        # side-by-side comparison opens the pivot on the selected campaigns
        action = campaign.action_compare()
        self.assertEqual(action["domain"], [("id", "in", campaign.ids)])
        self.assertEqual(action["view_mode"].split(",")[0], "pivot")
