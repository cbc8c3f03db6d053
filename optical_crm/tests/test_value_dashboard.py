from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common_value import OpticalValueCommon


@tagged("post_install", "-at_install")
class TestValueDashboard(OpticalValueCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()

        def log(partner, when, res_model="optical.campaign", res_id=1, **kw):
            return {
                "partner_id": partner.id,
                "company_id": cls.company_a.id,
                "channel": "sms",
                "purpose": "marketing",
                "datetime": when,
                "res_model": res_model,
                "res_id": res_id,
                **kw,
            }

        cls.env["optical.contact.log"].sudo().create(
            [
                # Bruno bought 10 days after a campaign SMS
                log(cls.bruno, "2024-11-10 10:00:00"),
                # Anna: a campaign, then a cycle step; the cycle is the last touch
                log(cls.anna, "2024-12-01 10:00:00"),
                log(cls.anna, "2024-12-20 10:00:00", "optical.cycle.step", 7),
                # Dario was held out (control group) before buying: nobody's revenue
                log(cls.dario, "2024-07-25 10:00:00", is_control=True),
                # Elena bought after a campaign, but more than 12 months ago
                log(cls.elena, "2024-01-25 10:00:00", res_id=2),
            ]
        )
        cls.Dashboard = cls.env["optical.value.dashboard"]

    def figure(self, name, company=None):
        return self.Dashboard._optical_figure(name, company)

    def test_customer_cards_and_their_lists(self):
        expected = {
            "active": self.anna | self.bruno | self.dario | self.elena,
            "new": self.bruno,
            "lapsed": self.carla,
            # Anna (20 June) and Hugo (exam in shop A, 30 June); not Gino (shop B)
            "exam_due_month": self.anna | self.hugo,
            "cl_runout": self.bruno,
        }
        data = self.Dashboard.optical_dashboard_data()
        cards = {card["name"]: card for card in data["cards"]}
        self.assertEqual(set(cards), set(expected))
        for name, partners in expected.items():
            card = cards[name]
            self.assertEqual(card["value"], len(partners), name)
            action = self.Dashboard.optical_dashboard_open(card["key"], card["label"])
            self.assertEqual(action["res_model"], "res.partner")
            self.assertEqual(
                self.env["res.partner"].search(action["domain"]), partners, name
            )

    def test_cards_of_the_other_shop(self):
        b = self.company_b
        self.assertEqual(self.figure("active", b)["value"], 2)  # Anna, Gino
        self.assertEqual(self.audience(f"new:{b.id}"), self.gino)
        self.assertFalse(self.audience(f"lapsed:{b.id}"))
        # the dashboard follows the current shop
        data = self.Dashboard.with_company(b).optical_dashboard_data()
        self.assertEqual(data["company"], b.name)
        cards = {c["name"]: c for c in data["cards"]}
        # exams are profile dates of each shop: Anna's recall is shop A's
        self.assertEqual(cards["exam_due_month"]["value"], 1)
        self.assertEqual(self.audience(cards["exam_due_month"]["key"]), self.gino)

    def test_retention(self):
        retention = self.figure("retention")
        rows = {
            row["year"]: (
                row["customers"],
                row["retained"],
                row["rate"],
                row["partial"],
            )
            for row in retention["rows"]
        }
        self.assertEqual(
            rows,
            {
                2022: (1, 0, 0.0, False),  # Carla never came back
                2023: (1, 1, 100.0, False),  # Anna came back in 2024
                2024: (4, 1, 25.0, True),  # Anna, Bruno, Dario, Elena; Anna in 2025
            },
        )
        self.assertEqual(retention["headline"]["year"], 2023)
        row_2024 = retention["rows"][-1]
        self.assertEqual(
            self.audience(row_2024["customers_key"]),
            self.anna | self.bruno | self.dario | self.elena,
        )
        self.assertEqual(self.audience(row_2024["key"]), self.anna)

    def test_cohorts(self):
        cohorts = self.figure("cohorts")
        self.assertEqual(cohorts["years"], [2022, 2023, 2024, 2025])
        table = {
            row["cohort"]: [cell["count"] for cell in row["cells"]]
            for row in cohorts["rows"]
        }
        self.assertEqual(
            table,
            {
                2022: [1, 0, 0, 0],  # Carla
                2023: [None, 1, 1, 1],  # Anna, every year since
                2024: [None, None, 3, 0],  # Bruno, Dario, Elena
            },
        )
        cell = cohorts["rows"][1]["cells"][3]  # 2023 cohort, bought in 2025
        self.assertEqual(self.audience(cell["key"]), self.anna)
        self.assertEqual(
            self.audience(f"cohort:{self.company_a.id}:2024:2024").ids,
            (self.bruno | self.dario | self.elena).ids,
        )

    def test_revenue_attributed_to_campaigns_and_cycles(self):
        figures = {f["name"]: f for f in self.figure("attribution")}
        self.assertEqual(figures["campaign"]["amount"], 150.0)  # Bruno, CHF 300
        self.assertEqual(figures["campaign"]["value"], 1)
        self.assertEqual(figures["cycle"]["amount"], 200.0)  # Anna's 2025 frame
        self.assertEqual(self.audience(figures["campaign"]["key"]), self.bruno)
        self.assertEqual(self.audience(figures["cycle"]["key"]), self.anna)
        # the same last-touch rule as the message log's attribution
        log_figures = self.env["optical.contact.log"]._optical_attribution(
            "optical.campaign", [1]
        )[1]
        self.assertEqual(log_figures["revenue"], figures["campaign"]["amount"])
        self.assertEqual(log_figures["control_converted"], 1)  # Dario

    def test_segments_table(self):
        rows = {row["segment"]: row for row in self.figure("segments")["rows"]}
        self.assertEqual(
            {segment: row["value"] for segment, row in rows.items()},
            {
                "champions": 1,
                "loyal": 1,
                "new": 1,
                "regular": 0,
                "at_risk": 1,
                "lapsed": 1,
                "no_purchase": 1,
            },
        )
        self.assertEqual(self.audience(rows["loyal"]["key"]), self.dario)

    def test_recall_lists(self):
        a = self.company_a.ids
        Partner = self.env["res.partner"].with_context(allowed_company_ids=a)
        search = Partner.search
        # next exam by 15 July, overdue included: Anna, Hugo, Bruno (10 July)
        self.assertEqual(
            search([("optical_audience", "=", "exam_due")]),
            self.anna | self.bruno | self.hugo,
        )
        self.assertEqual(search([("optical_audience", "=", "cl_runout")]), self.bruno)
        self.assertEqual(search([("optical_audience", "=", "lapsed")]), self.carla)
        # with both shops: Gino's exam (shop B customer) is due too
        both = Partner.with_context(
            allowed_company_ids=(self.company_a | self.company_b).ids
        )
        self.assertIn(self.gino, both.search([("optical_audience", "=", "exam_due")]))
        # forecasts and negation
        self.assertEqual(
            search([("optical_audience", "=", f"forecast:{a[0]}:contact_lens")]),
            self.bruno,
        )
        customers = self.anna | self.bruno | self.carla | self.dario | self.elena
        self.assertEqual(
            search(
                [
                    ("id", "in", customers.ids),
                    ("optical_audience", "not in", ["lapsed", "new"]),
                ]
            ),
            self.anna | self.dario | self.elena,
        )
        # the search filters of the partner list are these same lists
        view = self.env.ref("optical_crm.res_partner_view_search_optical_value")
        self.assertIn("'optical_audience', '=', 'exam_due'", view.arch)

    def test_bad_keys_and_access(self):
        with self.assertRaises(UserError):
            self.audience("nobody")
        with self.assertRaises(UserError):
            self.audience(f"segment:{self.company_a.id}:whales")
        with self.assertRaises(UserError):
            self.audience("cohort:x")
        shop_a_user = new_test_user(
            self.env,
            "dash_shop_a",
            groups="optical_crm.group_optical_manager",
            company_id=self.company_a.id,
            company_ids=[(6, 0, self.company_a.ids)],
        )
        Dashboard = self.Dashboard.with_user(shop_a_user)
        self.assertEqual(
            {
                c["name"]: c["value"]
                for c in Dashboard.optical_dashboard_data()["cards"]
            }["active"],
            4,
        )
        with self.assertRaises(AccessError):
            Dashboard.optical_dashboard_open(f"active:{self.company_b.id}")
        employee = new_test_user(self.env, "dash_employee", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.Dashboard.with_user(employee).optical_dashboard_data()
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(employee).search(
                [("optical_audience", "=", "lapsed")]
            )
