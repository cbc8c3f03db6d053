from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestItalian(HttpCase):
    """An Italian optometrist sees it.po at work: Python messages (read from the
    .po at runtime), selection labels, field and view terms (loaded into the
    database), the printed prescription (QWeb) and the dashboard's OWL template
    (web translations)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("it_IT")
        cls.env["ir.module.module"]._load_module_terms(
            ["optical_crm"], ["it_IT"], overwrite=True
        )
        cls.optometrist = new_test_user(
            cls.env,
            "it_optom",
            groups="optical_crm.group_optical_optometrist",
            lang="it_IT",
        )
        # the web client sends the user's language in the context
        cls.it_env = cls.env(
            user=cls.optometrist,
            context=dict(cls.env.context, lang=cls.optometrist.lang),
        )
        cls.customer = cls.env["res.partner"].create({"name": "Carla Fontana"})

    def test_python_message(self):
        with self.assertRaises(ValidationError) as caught:
            self.it_env["optical.prescription"].create(
                {"partner_id": self.customer.id, "date": "2024-03-01", "od_sphere": 31}
            )
        message = str(caught.exception)
        self.assertIn("Occhio destro (OD): la sfera deve essere compresa", message)
        self.assertNotIn("sphere", message)

    def test_selection_field_and_view_labels(self):
        Prescription = self.it_env["optical.prescription"]
        described = Prescription.fields_get(["kind", "od_sphere"])
        self.assertIn(
            ("contact_lens", "Lenti a contatto"), described["kind"]["selection"]
        )
        self.assertEqual(described["od_sphere"]["string"], "OD SF")
        arch = Prescription.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("DIP (binoculare, mm)", arch)
        menu = self.it_env.ref("optical_crm.optical_exam_menu")
        self.assertEqual(menu.name, "Controlli della vista")

    def test_printed_prescription(self):
        rx = self.env["optical.prescription"].create(
            {"partner_id": self.customer.id, "date": "2024-03-01", "od_sphere": 1.25}
        )
        self.authenticate("it_optom", "it_optom")
        response = self.url_open(
            f"/report/html/optical_crm.optical_prescription_report/{rx.id}"
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("Prescrizione per occhiali", response.text)
        self.assertNotIn("Spectacle prescription", response.text)

    def test_dashboard_template(self):
        translations, _params = self.env["ir.http"].get_translations_for_webclient(
            ["optical_crm"], "it_IT"
        )
        messages = {
            m["id"]: m["string"] for m in translations["optical_crm"]["messages"]
        }
        self.assertEqual(messages["No purchases yet."], "Ancora nessun acquisto.")
