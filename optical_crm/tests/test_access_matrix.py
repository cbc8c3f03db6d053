"""Who may read, write, create and delete what, for every model of the three addons.

``MATRIX`` is the design, written down: one entry per model owned by
``optical_crm``, ``optical_crm_sms`` and ``optical_crm_cycles`` (a new model without
an entry fails ``test_every_model_has_an_entry``), one column per kind of user:
``internal`` (an employee outside the Optical CRM groups), ``portal``, ``public``,
and the Optical CRM groups ``user``, ``optometrist`` and ``manager``; ``r w c u``
are read, write, create and unlink.
"""

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import OpticalCase

OUR_MODULES = ("optical_crm", "optical_crm_sms", "optical_crm_cycles")
ROLES = {
    "internal": "base.group_user",
    "portal": "base.group_portal",
    "public": "base.group_public",
    "user": "optical_crm.group_optical_user",
    "optometrist": "optical_crm.group_optical_optometrist",
    "manager": "optical_crm.group_optical_manager",
}
NONE = {"internal": "", "portal": "", "public": ""}


def _row(user, optometrist=None, manager=None, internal=""):
    """Rights of the optical groups (each inherits the one before by default)."""
    optometrist = user if optometrist is None else optometrist
    manager = optometrist if manager is None else manager
    return dict(
        NONE, internal=internal, user=user, optometrist=optometrist, manager=manager
    )


MATRIX = {
    # optical_crm: health data, optometrists and managers only
    "optical.prescription": _row("", "rwc", "rwcu"),
    "optical.exam": _row("", "rwc", "rwcu"),
    # consent: an append-only ledger (nobody edits or deletes a row); employees
    # outside the CRM read it (the contact policy of Odoo's own SMS and mailings)
    "optical.consent": _row("rc", internal="r"),
    "optical.consent.wizard": _row("rwcu"),
    "optical.touchpoint": _row("rwc", manager="rwcu"),
    # the message log is written by the sending code only; managers may erase
    "optical.contact.log": _row("r", manager="ru"),
    "optical.segment": _row("rwc", manager="rwcu"),
    "optical.campaign": _row("rwc", manager="rwcu"),
    "optical.campaign.recipient": _row("rw", manager="rwu"),
    "optical.campaign.preview": _row("rwcu"),
    "optical.campaign.preview.sample": _row("rwcu"),
    # analytics: computed by SQL, read-only for everyone
    "optical.customer.value": _row("r"),
    "optical.customer.forecast": _row("r"),
    "optical.customer.timeline": _row("r"),
    # the sales ledger: written by the sales events (sudo) only
    "optical.sale.line": _row("r"),
    "optical.import.wizard": _row("", manager="rwcu"),
    "optical.import.wizard.line": _row("", manager="rwcu"),
    "optical.import.wizard.column": _row("", manager="rwcu"),
    # the columns a shop mapped for its next legacy files
    "optical.import.mapping": _row("", manager="rwcu"),
    "optical.public.throttle": _row("", manager="ru"),
    # optical_crm_sms: every employee's SMS goes through the shop's provider, so
    # they read it; its credentials are fields for managers only (see below)
    "optical.sms.provider": _row("r", manager="rwcu", internal="r"),
    "optical.landing.page": _row("rwc", manager="rwcu"),
    "optical.landing.token": _row("r", manager="rwcu"),
    "optical.sms.report": _row("", manager="ru"),
    # optical_crm_cycles: configured by managers, watched by the back office
    "optical.cycle": _row("r", manager="rwcu"),
    "optical.cycle.step": _row("r", manager="rwcu"),
    "optical.cycle.category": _row("r", internal="r"),
    "optical.cycle.enrollment": _row("r", manager="ru"),
    "optical.cycle.execution": _row("r", manager="rw"),
    "optical.cycle.backfill": _row("", manager="rwcu"),
    "optical.cycle.backfill.line": _row("", manager="rwcu"),
    "optical.cycle.import": _row("", manager="rwcu"),
    "optical.cycle.copy": _row("", manager="rwcu"),
    "optical.cycle.simulation": _row("rwcu"),
    "optical.cycle.simulation.line": _row("rwcu"),
}
MODES = {"r": "read", "w": "write", "c": "create", "u": "unlink"}
# credentials and secrets of the SMS providers: managers only
PROVIDER_SECRETS = (
    "username",
    "password",
    "account_sid",
    "auth_token",
    "dlr_secret",
    "dlr_url",
)


@tagged("post_install", "-at_install")
class TestAccessMatrix(OpticalCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = {
            role: new_test_user(cls.env, f"mx_{role}", groups=group)
            for role, group in ROLES.items()
        }

    def _our_models(self):
        installed = self.env["ir.module.module"].search(
            [("name", "in", OUR_MODULES), ("state", "=", "installed")]
        )
        data = self.env["ir.model.data"].search(
            [("module", "in", installed.mapped("name")), ("model", "=", "ir.model")]
        )
        return {
            model.model
            for model in self.env["ir.model"].browse(data.mapped("res_id"))
            if model.model in self.env
            and self.env[model.model]._original_module in OUR_MODULES
            and not self.env[model.model]._abstract
        }

    def test_every_model_has_an_entry(self):
        ours = self._our_models()
        self.assertFalse(
            ours - set(MATRIX),
            "new models: write down who may read, write, create and delete them",
        )
        self.assertFalse(set(MATRIX) - ours - self._uninstalled(), "stale entries")

    def _uninstalled(self):
        return {model for model in MATRIX if model not in self.env}

    def test_rights_are_as_designed(self):
        Access = self.env["ir.model.access"]
        found, expected = {}, {}
        for model in sorted(self._our_models()):
            for role, user in self.users.items():
                found[model, role] = "".join(
                    letter
                    for letter, mode in MODES.items()
                    if Access.with_user(user).check(model, mode, raise_exception=False)
                )
                expected[model, role] = MATRIX.get(model, {}).get(role)
        differences = {
            key: (found[key], expected[key])
            for key in found
            if found[key] != expected[key]
        }
        self.assertFalse(differences, "(model, role): (found, expected)")

    def test_outsiders_read_nothing_optical(self):
        """Portal and public users: no optical model at all, nor optical fields."""
        for role in ("portal", "public"):
            user = self.users[role]
            for model in self._our_models():
                with self.assertRaises(AccessError, msg=f"{role} {model}"):
                    self.env[model].with_user(user).check_access("read")
            fields_ = self.env["res.partner"].with_user(user).fields_get()
            self.assertFalse(
                {"optical_prescription_ids", "optical_exam_ids"} & set(fields_)
            )

    def test_health_fields_of_other_models_are_for_optometrists(self):
        """Every field leading to prescriptions or exams (or counting them), on any
        model, is restricted to optometrists: derived from the models, so a new
        field cannot forget it."""
        _health, leads = self.env["mail.render.mixin"]._optical_health_fields()
        self.assertIn(
            ("res.partner", "optical_prescription_ids"),
            [(model, f) for model, fnames in leads for f in fnames],
        )
        for model, fnames in leads:
            for fname in fnames:
                groups = self.env[model]._fields[fname].groups or ""
                self.assertIn("optical_crm.group_optical_optometrist", groups)
        partner = self.customer
        for role in ("internal", "user"):
            user = self.users[role]
            visible = partner.with_user(user).fields_get()
            for model, fnames in leads:
                if model == "res.partner":
                    self.assertFalse(set(fnames) & set(visible), role)
            with self.assertRaises(AccessError):
                partner.with_user(user).read(["optical_exam_ids"])
        for role in ("optometrist", "manager"):
            partner.with_user(self.users[role]).read(
                ["optical_exam_ids", "optical_prescription_count"]
            )

    def test_consent_ledger_is_append_only(self):
        consent = self.env["optical.consent"].create(
            {"partner_id": self.customer.id, "channel": "sms", "granted": True}
        )
        for role in ("user", "optometrist", "manager"):
            row = consent.with_user(self.users[role])
            self.assertTrue(row.granted)
            # refused by the access rights and by the ledger itself
            with self.assertRaises(UserError):
                row.write({"granted": False})
            with self.assertRaises(UserError):
                row.unlink()
            row.create({"partner_id": self.customer.id, "channel": "sms"})
        admin = self.env.ref("base.user_admin")
        with self.assertRaises(UserError):
            consent.with_user(admin).write({"granted": False})
        consent.sudo().write({"note": "corrected by the superuser"})
        self.assertTrue(consent.granted)

    def test_message_log_is_read_only(self):
        log = self.env["optical.contact.log"].create(
            {
                "partner_id": self.customer.id,
                "company_id": self.company.id,
                "channel": "sms",
                "res_model": "res.partner",
                "res_id": self.customer.id,
            }
        )
        for role in ("user", "optometrist", "manager"):
            row = log.with_user(self.users[role])
            self.assertEqual(row.partner_id, self.customer)
            with self.assertRaises(AccessError):
                row.write({"channel": "email"})
            with self.assertRaises(AccessError):
                row.create({"partner_id": self.customer.id})

    def test_provider_secrets_for_managers_only(self):
        if "optical.sms.provider" not in self.env:
            self.skipTest("optical_crm_sms is not installed")
        provider = self.env["optical.sms.provider"].create(
            {
                "name": "Skebby",
                "provider_type": "skebby",
                "username": "shop",
                "password": "s3cret-pass",
                "active": False,
            }
        )
        for fname in PROVIDER_SECRETS:
            self.assertEqual(
                provider._fields[fname].groups, "optical_crm.group_optical_manager"
            )
        for role in ("internal", "user", "optometrist"):
            row = provider.with_user(self.users[role])
            self.assertEqual(row.name, "Skebby")
            self.assertFalse(set(PROVIDER_SECRETS) & set(row.fields_get()), role)
            for fname in PROVIDER_SECRETS:
                with self.assertRaises(AccessError, msg=f"{role} {fname}"):
                    row.read([fname])
            with self.assertRaises(AccessError):
                row.search([("password", "=", "s3cret-pass")])
        manager = provider.with_user(self.users["manager"])
        self.assertEqual(manager.password, "s3cret-pass")
        self.assertTrue(manager.dlr_secret)

    def test_timeline_health_rows_for_optometrists_only(self):
        exam = self.env["optical.exam"].create(
            {"partner_id": self.customer.id, "date": "2024-02-01"}
        )
        self.env["optical.prescription"].create(
            {"partner_id": self.customer.id, "date": "2024-02-01", "exam_id": exam.id}
        )
        self.env.flush_all()
        Timeline = self.env["optical.customer.timeline"]
        domain = [("partner_id", "=", self.customer.id)]
        for role, sees in (("user", False), ("optometrist", True), ("manager", True)):
            rows = Timeline.with_user(self.users[role]).search(domain)
            self.assertEqual(
                {"exam", "prescription"} <= set(rows.mapped("kind")), sees, role
            )
            self.assertEqual(any(rows.mapped("is_health")), sees, role)

    def test_prescription_report_for_optometrists_only(self):
        rx = self.env["optical.prescription"].create(
            {"partner_id": self.customer.id, "date": "2024-02-01", "od_sphere": -1}
        )
        report = self.env["ir.actions.report"]
        name = "optical_crm.optical_prescription_report"
        for role in ("internal", "user", "portal"):
            with self.assertRaises(AccessError, msg=role):
                report.with_user(self.users[role])._render_qweb_html(name, rx.ids)
        for role in ("optometrist", "manager"):
            html = report.with_user(self.users[role])._render_qweb_html(name, rx.ids)
            self.assertIn("-1.00", html[0].decode())
