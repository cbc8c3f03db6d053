from odoo import http
from odoo.tests import HttpCase, tagged

from odoo.addons.optical_crm.tests.tour_screenshots import TourScreenshotMixin


@tagged("post_install", "-at_install")
class TestCycleTour(TourScreenshotMixin, HttpCase):
    def test_cycle_from_template(self):
        template = self.env.ref("optical_crm_cycles.optical_cycle_template_spectacles")
        http.root.statics.get("optical_crm_cycles")
        self.start_tour(
            "/odoo/action-optical_crm_cycles.optical_cycle_action",
            "optical_cycle_tour",
            login="admin",
        )
        cycle = self.env["optical.cycle"].search(
            [("name", "=", "Occhiali da vista - Via Roma")]
        )
        self.assertTrue(cycle.active)
        self.assertFalse(template.active, "the template stays a template")
        first = cycle.step_ids.sorted("sequence")[0]
        self.assertEqual((first.delay_count, first.delay_unit), (10, "days"))
        self.assertIn("come vanno i nuovi occhiali", first.mailing_id.body_plaintext)
        self.assertEqual(len(cycle.step_ids), len(template.step_ids))
        self.assertNotEqual(first.mailing_id, template.step_ids.mailing_id[:1])
