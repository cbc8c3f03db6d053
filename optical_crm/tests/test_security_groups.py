from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestSecurityGroups(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = new_test_user(
            cls.env, "optical_user", groups="optical_crm.group_optical_user"
        )
        cls.optometrist = new_test_user(
            cls.env, "optical_optom", groups="optical_crm.group_optical_optometrist"
        )
        cls.manager = new_test_user(
            cls.env, "optical_manager", groups="optical_crm.group_optical_manager"
        )
        cls.employee = new_test_user(
            cls.env, "plain_employee", groups="base.group_user"
        )

    def test_groups_are_a_ladder(self):
        self.assertTrue(self.manager.has_group("optical_crm.group_optical_optometrist"))
        self.assertTrue(self.manager.has_group("optical_crm.group_optical_user"))
        self.assertTrue(self.optometrist.has_group("optical_crm.group_optical_user"))
        self.assertFalse(
            self.optometrist.has_group("optical_crm.group_optical_manager")
        )
        self.assertFalse(self.user.has_group("optical_crm.group_optical_optometrist"))
        self.assertTrue(
            self.env.ref("base.user_admin").has_group(
                "optical_crm.group_optical_manager"
            )
        )

    def _visible_menus(self, user):
        return self.env["ir.ui.menu"].with_user(user)._visible_menu_ids()

    def test_top_menu_only_for_optical_users(self):
        root = self.env.ref("optical_crm.optical_crm_root_menu")
        customers = self.env.ref("optical_crm.res_partner_optical_menu")
        self.assertIn(root.id, self._visible_menus(self.user))
        self.assertIn(customers.id, self._visible_menus(self.user))
        self.assertNotIn(root.id, self._visible_menus(self.employee))

    def test_configuration_and_reporting_for_managers_only(self):
        manager = self.env.ref("optical_crm.group_optical_manager")
        for xmlid in ("optical_crm_config_menu", "optical_crm_reporting_menu"):
            menu = self.env.ref(f"optical_crm.{xmlid}")
            self.assertEqual(menu.groups_id, manager, xmlid)

    def test_customers_action_opens_people(self):
        action = self.env.ref("optical_crm.res_partner_optical_action")
        self.assertEqual(action.res_model, "res.partner")
        self.assertIn("list", action.view_mode)
