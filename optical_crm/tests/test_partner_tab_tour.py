from odoo import http
from odoo.tests import HttpCase, new_test_user, tagged

from .tour_screenshots import TourScreenshotMixin


@tagged("post_install", "-at_install")
class TestPartnerTabTour(TourScreenshotMixin, HttpCase):
    """The Optical tab of the contact form, in a browser, for an optometrist and
    for the back office (no health data)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for login, group in (
            ("tour_optometrist", "optical_crm.group_optical_optometrist"),
            ("tour_backoffice", "optical_crm.group_optical_user"),
        ):
            new_test_user(cls.env, login, groups=group, name=login.title())
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Giulia Ferraris",
                "email": "giulia.ferraris@example.com",
                "mobile": "+39 340 555 0199",
                "city": "Torino",
                "optical_birthdate": "1984-06-12",
            }
        )
        exam = cls.env["optical.exam"].create(
            {"partner_id": cls.customer.id, "date": "2025-03-04"}
        )
        cls.env["optical.prescription"].create(
            {
                "partner_id": cls.customer.id,
                "date": "2025-03-04",
                "exam_id": exam.id,
                "od_sphere": -2.75,
                "od_cylinder": -0.5,
                "od_axis": 90,
                "os_sphere": -2.5,
                "pd": 63,
            }
        )
        for channel in ("sms", "email"):
            cls.customer._optical_record_consent(channel, "marketing", True, "store")
        # read the manifests now, not in the browser's parallel first requests
        http.root.statics.get("optical_crm")

    def test_optical_tab(self):
        url = f"/odoo/action-optical_crm.res_partner_optical_action/{self.customer.id}"
        self.start_tour(
            url, "optical_partner_tab_optometrist_tour", login="tour_optometrist"
        )
        self.start_tour(url, "optical_partner_tab_user_tour", login="tour_backoffice")
