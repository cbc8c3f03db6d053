from odoo.exceptions import ValidationError
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestItalian(TransactionCase):
    """A cycle in Italian: labels computed in Python, selections, messages."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("it_IT")
        cls.env["ir.module.module"]._load_module_terms(
            ["optical_crm_cycles"], ["it_IT"], overwrite=True
        )
        cls.it_env = cls.env(context=dict(cls.env.context, lang="it_IT"))

    def test_step_labels_and_messages(self):
        step = self.it_env.ref(
            "optical_crm_cycles.optical_cycle_template_spectacles_week"
        )
        self.assertEqual(step.delay_label, "+1 settimana dopo l'attivazione")
        triggers = dict(
            self.it_env["optical.cycle"].fields_get(["trigger"])["trigger"]["selection"]
        )
        self.assertEqual(triggers["exam_done"], "Controllo della vista eseguito")
        with self.assertRaises(ValidationError) as caught:
            step.delay_count = -1
        self.assertIn("il ritardo non può essere negativo", str(caught.exception))
