"""Every field and search criterion our addons add to ``res.partner``, walked.

The fields are discovered from the registry (every ``optical_*`` field, and any
other field defined by our addons), so a field added later is covered without
touching this file: it must be behind the Optical CRM groups (an employee outside
them gets AccessError reading, searching, grouping or exporting it), a field
about exams or prescriptions behind the optometrists' group, and its value for a
user of shop A must not depend on shop B's data. A new search criterion (a
non-stored field with ``search=``) needs probe values in ``SEARCH_PROBES``.

Shop B's data cannot leak to shop A: ``customer`` has the same history in shop A
as ``twin`` and more in shop B, ``stranger`` a history in shop B only and
``nobody`` none; whatever shop A's user reads, searches, groups or exports,
customer and twin are indistinguishable, and so are stranger and nobody.
"""

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

OUR_MODULES = {"optical_crm", "optical_crm_sms", "optical_crm_cycles"}
# Odoo's fields that our addons only re-declare (an index): not optical data
REDECLARED = {"email_normalized", "phone_sanitized"}
OPTICAL_USER = "optical_crm.group_optical_user"
OPTOMETRIST = "optical_crm.group_optical_optometrist"
# Exam-derived fields that are not health data: the recall date the back office
# calls customers for (recall lists, campaigns, cycles, the message placeholders
# that print it). Every other field about exams or prescriptions is health data.
RECALL_FIELDS = {
    "optical_next_exam_date",
    "optical_next_exam_words",
    "optical_next_exam_month_words",
}
HEALTH_WORDS = ("exam", "prescription")
# search criteria: (operator, value) tried by shop A's user; a callable value
# takes the test case (shop ids, segment ids)
SEARCH_PROBES = {
    "optical_birth_month": [("=", 3), ("in", [3, 4])],
    "optical_purchase_filter": [
        ("=", "frame:0"),
        ("!=", "frame:0"),
        ("=", "contact_lens:3"),
        ("!=", "contact_lens:0"),
    ],
    "optical_prescription_age_filter": [(">=", 6), (">=", 1)],
    "optical_customer_of": [
        ("=", lambda case: case.shop_a.id),
        ("=", lambda case: case.shop_b.id),
    ],
    "optical_consent_filter": [("=", "sms"), ("=", "email")],
    "optical_segment_filter": [
        ("=", lambda case: case.segment_a.id),
        ("=", lambda case: case.segment_b.id),
    ],
    "optical_audience": [
        ("=", "exam_recall"),
        ("=", "exam_due"),
        ("=", "cl_runout"),
        ("=", "lapsed"),
        ("=", "active"),
        ("=", "new"),
        ("=", lambda case: f"exam_recall:{case.shop_b.id}"),
    ],
}
DENIED = "AccessError"


def optical_partner_fields(env):
    """``{name: field}``: the fields of ``res.partner`` that are ours."""
    return {
        name: field
        for name, field in env["res.partner"]._fields.items()
        if name not in REDECLARED
        and (name.startswith("optical_") or set(field._modules or ()) & OUR_MODULES)
    }


def is_health(name):
    return name not in RECALL_FIELDS and any(word in name for word in HEALTH_WORDS)


@tagged("post_install", "-at_install")
class TestPartnerFieldIsolation(AccountTestInvoicingCommon):
    freeze_time = "2025-06-15"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shop_a = cls.env.company
        cls.shop_b = cls.setup_other_company(name="Ottica B")["company"]
        # the accountant of the tests runs both shops, with every optical right
        cls.env.user.write(
            {
                "company_ids": [Command.link(cls.shop_b.id)],
                "groups_id": [
                    Command.link(cls.env.ref("optical_crm.group_optical_manager").id)
                ],
            }
        )

        def user(login, groups, shop):
            # every one may export (base.group_allow_export): the fields decide
            return new_test_user(
                cls.env,
                login,
                groups=f"{groups},base.group_allow_export",
                company_id=shop.id,
                company_ids=[shop.id],
            )

        manager = "optical_crm.group_optical_manager,account.group_account_invoice"
        cls.manager_a = user("fi_manager_a", manager, cls.shop_a)
        cls.manager_b = user("fi_manager_b", manager, cls.shop_b)
        cls.back_office_a = user("fi_user_a", OPTICAL_USER, cls.shop_a)
        cls.outsider_a = user("fi_outsider_a", "base.group_user", cls.shop_a)
        Product = cls.env["product.product"]
        cls.frame = Product.create(
            {"name": "Frame", "optical_category": "frame", "type": "consu"}
        )
        cls.lenses = Product.create(
            {
                "name": "Monthly lenses",
                "optical_category": "contact_lens",
                "optical_cl_replacement_days": 30,
                "optical_cl_lenses_per_pack": 6,
                "type": "consu",
            }
        )
        Partner = cls.env["res.partner"]
        # same first name, same birthdate: nothing tells them apart in shop A
        cls.customer = Partner.create(
            {"name": "Maria Rossi", "mobile": "+393331110001", "email": "m@r.it"}
        )
        cls.twin = Partner.create(
            {"name": "Maria Bianchi", "mobile": "+393331110002", "email": "m@b.it"}
        )
        cls.stranger = Partner.create(
            {"name": "Maria Verdi", "mobile": "+393331110003"}
        )
        cls.nobody = Partner.create({"name": "Maria Neri", "mobile": "+393331110004"})
        cls.pairs = ((cls.twin, cls.customer), (cls.nobody, cls.stranger))
        cls.everyone = cls.customer | cls.twin | cls.stranger | cls.nobody
        cls.everyone.sudo().optical_birthdate = "1990-03-15"
        for partner in cls.customer | cls.twin:
            cls._history(
                partner,
                cls.shop_a,
                exam=("2024-05-10", "2025-06-25"),
                invoice=("2025-01-01", [(cls.lenses, 2, 60)]),
                purchase=("2023-03-01", 40),
                consent="sms",
                touchpoint="visit",
            )
        for partner in cls.customer | cls.stranger:
            cls._history(
                partner,
                cls.shop_b,
                exam=("2025-03-01", "2026-03-01"),
                invoice=("2025-04-01", [(cls.frame, 1, 900), (cls.lenses, 10, 50)]),
                purchase=("2025-05-01", 70),
                consent="email",
                touchpoint="complaint",
            )
        Segment = cls.env["optical.segment"]
        cls.segment_a = Segment.with_company(cls.shop_a).create(
            {
                "name": "Due in A",
                "company_id": cls.shop_a.id,
                "bought_category": "contact_lens",
                "exam_filter": "due_or_overdue",
                "prescription_months": 6,
                "consent_channel": "sms",
            }
        )
        cls.segment_b = Segment.with_company(cls.shop_b).create(
            {"name": "All of B", "company_id": cls.shop_b.id}
        )
        cls.env["optical.customer.value"]._optical_cron_refresh_recent()
        cls.env.flush_all()

    @classmethod
    def _history(cls, partner, shop, exam, invoice, purchase, consent, touchpoint):
        env = cls.env(context=dict(cls.env.context, allowed_company_ids=[shop.id]))
        exam_date, next_date = exam
        env["optical.exam"].create(
            {
                "partner_id": partner.id,
                "date": exam_date,
                "next_exam_date": next_date,
                "company_id": shop.id,
            }
        )
        env["optical.prescription"].create(
            {"partner_id": partner.id, "date": exam_date, "company_id": shop.id}
        )
        invoice_date, lines = invoice
        move = env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_date": invoice_date,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "quantity": quantity,
                            "price_unit": price,
                            "tax_ids": [Command.set([])],
                        }
                    )
                    for product, quantity, price in lines
                ],
            }
        )
        move.action_post()
        purchase_date, amount = purchase
        Touchpoint = env["optical.touchpoint"]
        Touchpoint.create(
            {
                "partner_id": partner.id,
                "datetime": f"{purchase_date} 10:00:00",
                "channel": "store",
                "kind": "purchase",
                "amount": amount,
                "company_id": shop.id,
            }
        )
        Touchpoint.create(
            {
                "partner_id": partner.id,
                "datetime": f"{purchase_date} 11:00:00",
                "channel": "store",
                "kind": touchpoint,
                "company_id": shop.id,
            }
        )
        partner.with_env(env)._optical_record_consent(
            consent, "marketing", True, "store", company=shop
        )

    # ------------------------------------------------------------------ helpers
    def _attempt(self, call):
        """The outcome of ``call``, or DENIED when it raises AccessError."""
        try:
            return call()
        except AccessError:
            return DENIED

    def _read(self, user, partner, name):
        self.env.invalidate_all()
        field = self.env["res.partner"]._fields[name]
        value = self._attempt(lambda: partner.with_user(user).read([name])[0][name])
        if field.type in ("one2many", "many2many") and value != DENIED:
            return len(value)  # other records: only how many can be compared
        if field.type == "many2one" and value != DENIED:
            return bool(value)
        return value

    def _found(self, user, domain):
        """Which of customer, twin, stranger and nobody ``domain`` finds, as
        ``user``."""
        self.env.invalidate_all()
        found = self._attempt(
            lambda: self.env["res.partner"]
            .with_user(user)
            .search([("id", "in", self.everyone.ids)] + domain)
        )
        if isinstance(found, str):
            return DENIED
        return tuple(
            partner in found
            for partner in (self.customer, self.twin, self.stranger, self.nobody)
        )

    def _group(self, user, partner, name):
        self.env.invalidate_all()
        return self._attempt(
            lambda: [
                group[name]
                for group in self.env["res.partner"]
                .with_user(user)
                .read_group([("id", "=", partner.id)], [name], [name], lazy=False)
            ]
        )

    def _export(self, user, partner, name):
        self.env.invalidate_all()
        return self._attempt(
            lambda: partner.with_user(user).export_data([name])["datas"]
        )

    def _probes(self, name, field):
        """Domains on field ``name`` that shop A's user tries."""
        if not field.store:
            return [
                [(name, operator, value(self) if callable(value) else value)]
                for operator, value in SEARCH_PROBES[name]
            ]
        probes = [[(name, "!=", False)], [(name, "=", False)]]
        if field.type in ("one2many", "many2many"):
            # ids of shop B's lines, as if guessed
            lines = (self.customer | self.stranger).sudo()[name]
            ids = lines.filtered(lambda line: line.company_id == self.shop_b).ids
            self.assertTrue(ids, name)
            probes += [[(name, "in", ids)], [(name, "not in", ids)]]
        if field.type in ("date", "float", "integer", "char", "selection"):
            for user in (self.manager_a, self.manager_b):
                value = self._read(user, self.customer, name)
                if value not in (DENIED, False, None):
                    probes += [[(name, op, value)] for op in ("=", "!=")]
                    if field.type in ("date", "float", "integer"):
                        probes += [[(name, op, value)] for op in ("<", ">=")]
        return probes

    @staticmethod
    def _searchable(field):
        return bool(field.store or field.search)

    @staticmethod
    def _groupable(field):
        return field.store and field.type not in ("one2many", "many2many")

    # ------------------------------------------------------------------ tests
    def test_discovery(self):
        """The walk sees the profile, the criteria and the placeholders."""
        names = optical_partner_fields(self.env)
        for name in (
            "optical_last_exam_date",
            "optical_next_exam_date",
            "optical_last_prescription_date",
            "optical_cl_runout_date",
            "optical_last_purchase_date",
            "optical_ltv",
            "optical_prescription_age_filter",
            "optical_audience",
            "optical_next_exam_words",
        ):
            self.assertIn(name, names)
        for name, field in names.items():
            if field.search and not field.store:
                self.assertIn(name, SEARCH_PROBES, f"{name}: add probe values")

    def _leaks(self, user, name, field):
        """What ``user`` can do with field ``name`` of the customer (read,
        export, search, group): empty when every attempt is refused."""
        leaks = []
        if self._read(user, self.customer, name) != DENIED:
            leaks.append((name, "read"))
        if self._export(user, self.customer, name) != DENIED:
            leaks.append((name, "export"))
        if self._searchable(field):
            leaks += [
                (name, "search", domain)
                for domain in self._probes(name, field)
                if self._found(user, domain) != DENIED
            ]
        if self._groupable(field) and self._group(user, self.customer, name) != DENIED:
            leaks.append((name, "group"))
        return leaks

    def test_outsider_learns_nothing_optical(self):
        """An employee outside the Optical CRM groups can neither read, search,
        group nor export any optical field of a customer."""
        outsider = self.outsider_a
        self.assertEqual(self.customer.with_user(outsider).name, "Maria Rossi")
        leaks = []
        for name, field in optical_partner_fields(self.env).items():
            leaks += self._leaks(outsider, name, field)
        self.assertEqual(leaks, [], "an employee outside Optical CRM reads them")

    def test_health_fields_for_optometrists_only(self):
        """The back office reads purchases and the recall date; what tells about
        the eyes (exams, prescriptions) is for optometrists."""
        back_office = self.back_office_a
        leaks, hidden = [], []
        for name, field in optical_partner_fields(self.env).items():
            groups = (field.groups or "").split(",")
            if is_health(name):
                self.assertEqual(groups, [OPTOMETRIST], name)
                leaks += self._leaks(back_office, name, field)
            elif OPTICAL_USER in groups and (
                self._read(back_office, self.customer, name) == DENIED
            ):
                hidden.append(name)
        self.assertEqual(leaks, [], "the back office reads health data")
        self.assertEqual(hidden, [], "the back office needs them")
        # health criteria nested in a segment are refused as well
        self.assertEqual(
            self._found(
                back_office, [("optical_segment_filter", "=", self.segment_a.id)]
            ),
            DENIED,
        )

    def test_shop_a_learns_nothing_of_shop_b(self):
        """For shop A's user, the customer (history in A and B) and the twin
        (the same history in A only) are the same on every field and criterion."""
        user = self.manager_a
        differences = []
        for name, field in optical_partner_fields(self.env).items():
            checks = [
                ("read", lambda p, n=name: self._read(user, p, n)),
                ("export", lambda p, n=name: self._export(user, p, n)),
            ]
            if field.type in ("one2many", "many2many", "many2one"):
                checks.pop()  # exported values name other records
            if self._groupable(field):
                checks.append(("group", lambda p, n=name: self._group(user, p, n)))
            for what, check in checks:
                for mine, theirs in self.pairs:
                    seen = (check(mine), check(theirs))
                    if seen[0] != seen[1]:
                        differences.append((name, what, theirs.name, seen))
            if self._searchable(field):
                for domain in self._probes(name, field):
                    found = self._found(user, domain)
                    if found != DENIED and (
                        found[0] != found[1] or found[2] != found[3]
                    ):
                        differences.append((name, "search", domain, found))
        self.assertEqual(differences, [], "shop A sees shop B's data")

    def test_each_shop_reads_its_own_figures(self):
        d = fields.Date.to_date
        expected = {
            # 2 packs x 6 lenses x 30 days / 2 eyes = 180 days; + imported 40
            self.manager_a: (
                120 + 40,
                "2025-01-01",
                "2025-06-30",
                "2024-05-10",
                "2025-06-25",
                "2024-05-10",
            ),
            # frame 900 + 10 packs x 50 + imported 70; 900 days of lenses
            self.manager_b: (
                900 + 500 + 70,
                "2025-05-01",
                "2027-09-18",
                "2025-03-01",
                "2026-03-01",
                "2025-03-01",
            ),
        }
        for user, figures in expected.items():
            self.env.invalidate_all()
            partner = self.customer.with_user(user)
            self.assertEqual(
                (
                    partner.optical_ltv,
                    partner.optical_last_purchase_date,
                    partner.optical_cl_runout_date,
                    partner.optical_last_exam_date,
                    partner.optical_next_exam_date,
                    partner.optical_last_prescription_date,
                ),
                (figures[0], *(d(value) for value in figures[1:])),
                user.login,
            )
        # the message placeholders print the sending shop's recall date
        for shop, day in ((self.shop_b, "2026-03-01"), (self.shop_a, "2025-06-25")):
            partner = self.customer.with_company(shop)
            self.assertEqual(
                partner.optical_next_exam_words,
                partner._optical_date_words(d(day), locale=partner._optical_locale()),
            )
        # shop B's criteria find the customer in B only
        self.assertEqual(
            self._found(self.manager_b, [("optical_consent_filter", "=", "email")]),
            (True, False, True, False),
        )
        self.assertEqual(
            self._found(self.manager_a, [("optical_consent_filter", "=", "email")]),
            (False, False, False, False),
        )
        self.assertEqual(
            self._found(
                self.manager_a, [("optical_segment_filter", "=", self.segment_a.id)]
            ),
            (True, True, False, False),
        )

    def test_exam_touchpoints_are_health_data(self):
        """Eye exams recorded as touchpoints: optometrists only, in lists, counts
        and the customer timeline."""
        Touchpoint = self.env["optical.touchpoint"]
        exams = Touchpoint.search(
            [("partner_id", "=", self.customer.id), ("kind", "=", "exam")]
        )
        self.assertEqual(len(exams), 2, "one per exam, in each shop")
        as_back_office = Touchpoint.with_user(self.back_office_a)
        self.assertFalse(as_back_office.search([("kind", "=", "exam")]))
        self.assertEqual(
            set(
                as_back_office.search([("partner_id", "=", self.customer.id)]).mapped(
                    "kind"
                )
            ),
            {"purchase", "visit"},
        )
        with self.assertRaises(AccessError):
            exams.filtered(lambda t: t.company_id == self.shop_a).with_user(
                self.back_office_a
            ).read(["summary"])
        self.env.invalidate_all()
        self.assertEqual(
            self.customer.with_user(self.back_office_a).optical_touchpoint_count, 3
        )
        self.assertEqual(
            self.customer.with_user(self.manager_a).optical_touchpoint_count, 4
        )
        # the back office may record one (from another system) without reading it
        recorded = as_back_office.create(
            {
                "partner_id": self.customer.id,
                "datetime": "2025-06-01 09:00:00",
                "channel": "app",
                "kind": "exam",
            }
        )
        self.assertTrue(recorded.sudo().exists())
        timeline = self.env["optical.customer.timeline"]
        self.assertFalse(
            timeline.with_user(self.back_office_a).search(
                [
                    ("partner_id", "=", self.customer.id),
                    ("touchpoint_kind", "=", "exam"),
                ]
            )
        )
        self.assertTrue(
            timeline.with_user(self.manager_a).search(
                [
                    ("partner_id", "=", self.customer.id),
                    ("touchpoint_kind", "=", "exam"),
                ]
            )
        )
