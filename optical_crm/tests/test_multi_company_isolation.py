"""Shops of one chain share their customers, never their optical data.

A manager of shop A (every right of the addons, in shop A only) sees none of shop
B's rows of any model with a shop, reads none of them by id, and counts none of
them; the customer they share stays readable. The addons' other tests check the
models of optical_crm_sms and optical_crm_cycles the same way
(``IsolationMixin``).
"""

import datetime as dt

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged

OUR_MODULES = ("optical_crm", "optical_crm_sms", "optical_crm_cycles")


class IsolationMixin:
    """Two shops, a manager in each, a shared customer."""

    def _in_shops(self, model, vals):
        """The same row in shop A and in shop B."""
        Model = self.env[model].sudo()
        return tuple(
            Model.with_company(shop).create(dict(vals, company_id=shop.id))
            for shop in (self.shop_b, self.shop_a)
        )

    @classmethod
    def _setup_shops(cls):
        cls.shop_a = cls.env.company
        cls.shop_b = cls.env["res.company"].create({"name": "Ottica Bis"})
        cls.manager_a = cls._manager("iso_manager_a", cls.shop_a)
        cls.manager_b = cls._manager("iso_manager_b", cls.shop_b)
        cls.customer = cls.env["res.partner"].create(
            {"name": "Clara Condivisa", "mobile": "+393331230000"}
        )

    @classmethod
    def _manager(cls, login, company):
        return new_test_user(
            cls.env,
            login,
            groups="optical_crm.group_optical_manager,base.group_multi_company",
            company_id=company.id,
            company_ids=[company.id],
        )

    def assertIsolated(self, records_b, records_a=None):
        """``records_b`` (shop B, one model) are invisible to shop A's manager;
        ``records_a`` (shop A) are visible to it and invisible to shop B's."""
        Model = self.env[records_b._name]
        self.env.flush_all()
        for manager, mine, theirs in (
            (self.manager_a, records_a, records_b),
            (self.manager_b, records_b, records_a),
        ):
            if not theirs:
                continue
            as_manager = Model.with_user(manager)
            found = as_manager.search([("id", "in", theirs.ids)])
            self.assertFalse(found, f"{Model._name}: {manager.login} sees them")
            self.assertEqual(
                as_manager.search_count([("id", "in", theirs.ids)]), 0, Model._name
            )
            with self.assertRaises(AccessError, msg=Model._name):
                theirs.with_user(manager).read(["display_name"])
            if mine:
                self.assertEqual(
                    as_manager.search([("id", "in", (mine | theirs).ids)]), mine
                )
        self.assertEqual(
            self.customer.with_user(self.manager_b).name, "Clara Condivisa"
        )


@tagged("post_install", "-at_install")
class TestMultiCompanyIsolation(IsolationMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_shops()

    def test_every_model_with_a_shop_has_a_shop_rule(self):
        """No model of the addons with a shop field is left without a rule."""
        for model in self.env["ir.model"].search([]):
            if model.model not in self.env:
                continue
            Model = self.env[model.model]
            field = Model._fields.get("company_id")
            if (
                Model._original_module not in OUR_MODULES
                or Model._abstract
                or Model._transient
                or not field
                or (field.related and not field.store)
            ):
                continue
            rules = self.env["ir.rule"].search([("model_id", "=", model.id)])
            self.assertTrue(
                any("company_ids" in rule.domain_force for rule in rules),
                f"{model.model} has no multi-company rule",
            )

    def test_health_data_touchpoints_consents(self):
        customer = self.customer.id
        self.assertIsolated(
            *self._in_shops("optical.prescription", {"partner_id": customer})
        )
        self.assertIsolated(*self._in_shops("optical.exam", {"partner_id": customer}))
        self.assertIsolated(
            *self._in_shops(
                "optical.touchpoint",
                {
                    "partner_id": customer,
                    "datetime": dt.datetime(2024, 1, 1, 9),
                    "channel": "store",
                    "kind": "visit",
                },
            )
        )
        self.assertIsolated(
            *self._in_shops(
                "optical.consent", {"partner_id": customer, "channel": "sms"}
            )
        )
        # a chain-wide consent (an unsubscribe link) is seen by every shop
        chain = self.env["optical.consent"].create(
            {"partner_id": customer, "channel": "email", "company_id": False}
        )
        for manager in (self.manager_a, self.manager_b):
            self.assertTrue(chain.with_user(manager).read(["granted"]))

    def test_message_log_segments_campaigns(self):
        customer = self.customer.id
        self.assertIsolated(
            *self._in_shops(
                "optical.contact.log",
                {
                    "partner_id": customer,
                    "channel": "sms",
                    "res_model": "res.partner",
                    "res_id": customer,
                },
            )
        )
        segments = self._in_shops("optical.segment", {"name": "Tutti"})
        self.assertIsolated(*segments)
        campaigns = tuple(
            self.env["optical.campaign"]
            .sudo()
            .with_company(segment.company_id)
            .create(
                {
                    "name": "Ottobre",
                    "segment_id": segment.id,
                    "company_id": segment.company_id.id,
                    "channel": "phone",
                }
            )
            for segment in segments
        )
        self.assertIsolated(*campaigns)
        recipients = tuple(
            self.env["optical.campaign.recipient"]
            .sudo()
            .create(
                {
                    "campaign_id": campaign.id,
                    "partner_id": customer,
                    "company_id": campaign.company_id.id,
                }
            )
            for campaign in campaigns
        )
        self.assertIsolated(*recipients)

    def test_value_rows_and_timeline(self):
        customer = self.customer.id
        values = self._in_shops(
            "optical.customer.value", {"partner_id": customer, "ltv": 100.0}
        )
        self.assertIsolated(*values)
        forecasts = tuple(
            self.env["optical.customer.forecast"]
            .sudo()
            .create(
                {
                    "value_id": value.id,
                    "partner_id": customer,
                    "company_id": value.company_id.id,
                    "optical_category": "contact_lens",
                    "next_purchase_date": fields.Date.today(),
                }
            )
            for value in values
        )
        self.assertIsolated(*forecasts)
        # the timeline is built from the rows above: shop B's exam stays in shop B
        self._in_shops("optical.exam", {"partner_id": customer})
        self.env.flush_all()
        Timeline = self.env["optical.customer.timeline"]
        domain = [("partner_id", "=", customer)]
        for manager, shop in (
            (self.manager_a, self.shop_a),
            (self.manager_b, self.shop_b),
        ):
            rows = Timeline.with_user(manager).search(domain)
            self.assertEqual(rows.filtered("is_health").company_id, shop)
            self.assertEqual(set(rows.mapped("company_id").ids) - {shop.id}, set())
        # the smart buttons count the shop's own rows only
        self.assertEqual(self.customer.with_user(self.manager_a).optical_exam_count, 1)

    def test_dashboard_figures_of_another_shop_are_refused(self):
        Dashboard = self.env["optical.value.dashboard"].with_user(self.manager_a)
        with self.assertRaises(AccessError):
            Dashboard._optical_audience_companies(str(self.shop_b.id))
