import datetime as dt

from freezegun import freeze_time

from odoo.tests import tagged

from .common import CyclesCase


@tagged("post_install", "-at_install")
class TestOneAttributionRule(CyclesCase):
    """Campaign results, cycle step results and the value dashboard read one rule:
    a posted customer invoice of the same customer and shop, dated from the day of
    the message to the attribution window later (same day: created after the
    message), goes to the last message; credit notes are deducted."""

    def test_campaign_cycle_and_dashboard_agree(self):
        carla = self.env["res.partner"].create({"name": "Carla Verdi"})
        with freeze_time("2026-04-15 10:00:00"):
            step = self.make_cycle()[0].step_ids[0]
            campaign = self.env["optical.campaign"].create(
                {
                    "name": "Primavera",
                    "date_start": dt.date(2026, 3, 1),
                    "date_end": dt.date(2026, 3, 31),
                    "sms_body": "Ciao!",
                }
            )
            self.assertEqual(self.company.optical_attribution_days, 30)

            def log(partner, when, origin, **kw):
                return {
                    "partner_id": partner.id,
                    "company_id": self.company.id,
                    "channel": "sms",
                    "purpose": "marketing",
                    "datetime": when,
                    "res_model": origin._name,
                    "res_id": origin.id,
                    **kw,
                }

            self.env["optical.contact.log"].sudo().create(
                [
                    log(self.anna, "2026-03-02 10:00:00", campaign),
                    log(self.anna, "2026-03-15 10:00:00", step),
                    log(self.bruno, "2026-03-05 09:00:00", step),
                    # held out: its customer's purchase is nobody's revenue
                    log(carla, "2026-03-03 10:00:00", campaign, is_control=True),
                ]
            )

            def invoice(partner, date, amount, created=None):
                move = self.invoice(partner, date, self.sunglasses, amount=amount)
                if created:
                    self.env.cr.execute(
                        "UPDATE account_move SET create_date = %s WHERE id = %s",
                        (created, move.id),
                    )
                    move.invalidate_recordset(["create_date"])
                return move

            # Anna: 100 after the campaign, 30 credited -> 70 to the campaign
            anna_1 = invoice(self.anna, "2026-03-10", 100.0)
            refund = anna_1._reverse_moves([{"invoice_date": "2026-03-12"}])
            refund.invoice_line_ids.price_unit = 30.0
            refund.action_post()
            # then a cycle message: the last touch takes the next invoice
            invoice(self.anna, "2026-03-20", 200.0)
            # Bruno, the day of the message: before it no, after it yes
            invoice(self.bruno, "2026-03-05", 40.0, created="2026-03-05 08:00:00")
            invoice(self.bruno, "2026-03-05", 50.0, created="2026-03-05 11:00:00")
            # 36 days later: outside the window
            invoice(self.bruno, "2026-04-10", 999.0)
            invoice(carla, "2026-03-20", 80.0)

            campaign.action_refresh_results()
            step.invalidate_recordset()
            figures = {
                f["name"]: f
                for f in self.env["optical.value.dashboard"]._optical_figure(
                    "attribution"
                )
            }
        self.assertEqual(
            (campaign.converted_count, campaign.revenue), (1, 70.0), "campaign"
        )
        self.assertEqual(
            (campaign.control_converted_count, campaign.control_revenue), (1, 80.0)
        )
        self.assertEqual((step.converted_count, step.revenue), (2, 250.0), "step")
        self.assertEqual(
            (figures["campaign"]["value"], figures["campaign"]["amount"]),
            (campaign.converted_count, campaign.revenue),
        )
        self.assertEqual(
            (figures["cycle"]["value"], figures["cycle"]["amount"]),
            (step.converted_count, step.revenue),
        )
        self.assertEqual(
            self.env["res.partner"].search(
                [("optical_audience", "=", figures["cycle"]["key"])]
            ),
            self.anna | self.bruno,
        )
