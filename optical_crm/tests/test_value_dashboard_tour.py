from odoo import Command, http
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestValueDashboardTour(HttpCase):
    def test_dashboard_opens_the_customers_behind_a_figure(self):
        company = self.env["res.company"].create({"name": "Ottica Tour"})
        self.env["account.chart.template"].try_loading(
            "generic_coa", company=company, install_demo=False
        )
        admin = self.env.ref("base.user_admin")
        admin.write(
            {"company_ids": [Command.link(company.id)], "company_id": company.id}
        )
        customer = self.env["res.partner"].create({"name": "Tour Customer"})
        invoice = (
            self.env["account.move"]
            .with_company(company)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": customer.id,
                    "invoice_line_ids": [
                        Command.create({"name": "Frame", "price_unit": 120.0})
                    ],
                }
            )
        )
        invoice.action_post()
        # what the scheduled action triggered by the posting does
        self.env["optical.customer.value"]._optical_cron_refresh_recent()
        self.assertEqual(
            self.env["optical.value.dashboard"]
            .with_company(company)
            ._optical_figure("active")["value"],
            1,
        )
        # read the addons' manifests now, in this thread: the browser's first
        # parallel requests would otherwise parse them concurrently, which trips a
        # CPython 3.11 bug in ast ("AST constructor recursion depth mismatch")
        http.root.statics.get("optical_crm")
        self.start_tour(
            "/odoo/action-optical_crm.optical_value_dashboard_action",
            "optical_value_dashboard_tour",
            login="admin",
        )
        # the tour started a campaign on the list behind the figure: a segment
        # holding that list's filter, of this shop
        segment = self.env["optical.segment"].search(
            [("company_id", "=", company.id)], order="id desc", limit=1
        )
        self.assertIn("optical_audience", segment.domain)
        self.assertEqual(segment._optical_partners(company), customer)
