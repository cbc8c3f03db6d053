import json
from datetime import datetime, timedelta

from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestTouchpointSources(HttpCase):
    """The landing pages' touchpoints cannot be forged through the API."""

    def test_landing_source_is_reserved(self):
        self.assertIn(
            "sms_landing",
            self.env["optical.touchpoint"]._optical_internal_sources(),
        )
        user = new_test_user(
            self.env, "tp_api_sms", groups="optical_crm.group_optical_user"
        )
        key = (
            self.env["res.users.apikeys"]
            .with_user(user)
            ._generate(None, "integration", datetime.now() + timedelta(days=1))
        )
        anna = self.env["res.partner"].create({"name": "Anna", "ref": "L-1"})
        response = self.url_open(
            "/optical_crm/api/touchpoints",
            data=json.dumps(
                [
                    {
                        "external_ref": "landing-booking-1",
                        "source": "sms_landing",
                        "datetime": "2024-05-02T10:15:00Z",
                        "channel": "sms",
                        "kind": "booking",
                        "customer": {"ref": "L-1"},
                    }
                ]
            ),
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {key}",
            },
        )
        [result] = response.json()["results"]
        self.assertEqual(result["status"], "rejected")
        self.assertIn("reserved", result["reason"])
        self.assertFalse(anna.optical_touchpoint_ids)
