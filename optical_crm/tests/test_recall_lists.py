from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from .common_value import OpticalValueCommon


@tagged("post_install", "-at_install")
class TestRecallLists(OpticalValueCommon):
    """Recall lists shipped as segments, and "Start a campaign" from any customer
    list (today is 2025-06-15, see common_value)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.exam = cls.env.ref("optical_crm.optical_segment_recall_exam")
        cls.cl_runout = cls.env.ref("optical_crm.optical_segment_recall_cl_runout")
        cls.lapsed = cls.env.ref("optical_crm.optical_segment_recall_lapsed")
        cls.Dashboard = cls.env["optical.value.dashboard"]

    def test_recall_segments_per_shop(self):
        a, b = self.company_a, self.company_b
        expected = {
            # shop A: Anna due 20 June, Hugo 30 June (exam in A); Bruno 10 July is
            # next month; Gino (6 June, overdue) is a customer of shop B only
            (self.exam, a): self.anna | self.hugo,
            # Bruno's lenses run out 1 July; Dario's 1 August, too late
            (self.cl_runout, a): self.bruno,
            # Carla's last purchase: May 2022
            (self.lapsed, a): self.carla,
            # shop B (Anna and Gino bought there): Gino's exam is overdue; Anna's
            # recall date is shop A's, unknown to shop B
            (self.exam, b): self.gino,
            (self.cl_runout, b): self.env["res.partner"],
            (self.lapsed, b): self.env["res.partner"],
        }
        for (segment, company), partners in expected.items():
            label = f"{segment.recall_list} in {company.name}"
            self.assertFalse(segment.company_id, label)  # shared by every shop
            self.assertEqual(segment._optical_partners(company), partners, label)
            self.assertEqual(segment._optical_count(company), len(partners), label)
            self.assertEqual(
                segment.with_company(company).partner_count, len(partners), label
            )
        # the same customers as the dashboard's figures
        self.assertEqual(
            self.exam._optical_partners(a),
            self.audience(f"exam_recall:{a.id}"),
        )
        self.assertEqual(
            self.Dashboard._optical_figure("cl_runout", a)["value"],
            self.cl_runout._optical_count(a),
        )
        self.assertEqual(
            self.Dashboard._optical_figure("lapsed", a)["value"],
            self.lapsed._optical_count(a),
        )
        # the menu shows exactly the recall lists
        action = self.env.ref("optical_crm.optical_segment_recall_action")
        shown = self.env["optical.segment"].search(safe_eval(action.domain))
        self.assertEqual(shown, self.exam | self.cl_runout | self.lapsed)

    def test_recall_list_starts_a_campaign(self):
        action = self.exam.action_optical_new_campaign()
        self.assertEqual(action["res_model"], "optical.campaign")
        with Form(
            self.env["optical.campaign"].with_context(**action["context"])
        ) as form:
            form.name = "Richiamo controllo della vista"
            form.channel = "phone"
        campaign = form.record
        self.assertEqual(campaign.state, "draft")
        self.assertEqual(campaign.segment_id, self.exam)
        partners, _screen = campaign._optical_audience()
        self.assertEqual(partners, self.anna | self.hugo)

    def run_start_campaign(self, partners, domain=None, user=None):
        server_action = self.env.ref("optical_crm.res_partner_action_start_campaign")
        if user:
            server_action = server_action.with_user(user)
        context = {
            "active_model": "res.partner",
            "active_ids": partners.ids,
            "active_id": partners[:1].id,
        }
        if domain is not None:
            context["active_domain"] = domain
        return server_action.with_context(**context).run()

    def test_any_list_starts_a_campaign(self):
        # the dashboard opens the list behind a figure: everything selected
        card = self.Dashboard._optical_figure("active")
        opened = self.Dashboard.optical_dashboard_open(card["key"], card["label"])
        listed = self.env["res.partner"].search(opened["domain"])
        self.assertEqual(listed, self.anna | self.bruno | self.dario | self.elena)
        action = self.run_start_campaign(listed, opened["domain"])
        self.assertEqual(action["res_model"], "optical.campaign")
        with Form(
            self.env["optical.campaign"].with_context(**action["context"])
        ) as form:
            form.name = "Clienti attivi"
        segment = form.record.segment_id
        # a live segment: the list's filter, not a frozen list of ids
        self.assertIn("optical_audience", segment.domain)
        self.assertEqual(segment.company_id, self.company_a)
        self.assertEqual(segment.partner_count, card["value"])
        self.assertEqual(segment._optical_partners(), listed)
        # the same list again reuses the segment
        again = self.run_start_campaign(listed, opened["domain"])
        self.assertEqual(again["context"]["default_segment_id"], segment.id)
        # two customers ticked in that list: a segment of exactly those two
        action = self.run_start_campaign(self.anna | self.dario, opened["domain"])
        picked = self.env["optical.segment"].browse(
            action["context"]["default_segment_id"]
        )
        self.assertNotEqual(picked, segment)
        self.assertEqual(picked._optical_partners(), self.anna | self.dario)
        self.assertEqual(picked.partner_count, 2)
        # nothing selected
        with self.assertRaises(UserError):
            self.env["optical.segment"]._optical_for_partners(self.env["res.partner"])

    def test_start_campaign_is_for_optical_crm_users(self):
        employee = new_test_user(self.env, "recall_employee", groups="base.group_user")
        bindings = self.env["ir.actions.actions"].with_user(employee)
        names = [a["name"] for a in bindings.get_bindings("res.partner")["action"]]
        self.assertNotIn("Start a campaign", names)
        with self.assertRaises(AccessError):
            self.run_start_campaign(self.anna, user=employee)
        optician = new_test_user(
            self.env,
            "recall_optician",
            groups="optical_crm.group_optical_user",
            company_id=self.company_a.id,
        )
        bindings = self.env["ir.actions.actions"].with_user(optician)
        self.env.registry.clear_cache()
        names = [a["name"] for a in bindings.get_bindings("res.partner")["action"]]
        self.assertIn("Start a campaign", names)
        action = self.run_start_campaign(self.anna | self.bruno, user=optician)
        segment = self.env["optical.segment"].browse(
            action["context"]["default_segment_id"]
        )
        self.assertEqual(segment._optical_partners(), self.anna | self.bruno)
