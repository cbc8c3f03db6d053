from odoo.tests import BaseCase, tagged

from ..tools.phone import normalize_mobile


@tagged("post_install", "-at_install")
class TestMobileNumbers(BaseCase):
    def test_italian_mobiles_normalised(self):
        for raw in (
            "333 1234567",
            "+39 333 123 4567",
            "0039 3331234567",
            "333-123.4567",
        ):
            self.assertEqual(
                normalize_mobile(raw, "IT"), ("+393331234567", False, ""), raw
            )

    def test_region_from_company_country(self):
        self.assertEqual(normalize_mobile("0470 12 34 56", "BE").e164, "+32470123456")
        self.assertEqual(normalize_mobile("+393331234567", "BE").e164, "+393331234567")

    def test_refusals_with_reason(self):
        self.assertEqual(normalize_mobile("", "IT").error, "missing")
        self.assertEqual(normalize_mobile("02 12345678", "IT").error, "not_mobile")
        self.assertEqual(normalize_mobile("800 123456", "IT").error, "not_mobile")
        self.assertEqual(normalize_mobile("12345", "IT").error, "invalid")
        self.assertEqual(normalize_mobile("abc", "IT").error, "invalid")
        for raw in (
            "333 1234567 / 347 7654321",
            "3331234567, 3477654321",
            "333 1234567 oppure 02 1234567",
            "+39 333 1234567 +39 347 7654321",
        ):
            self.assertEqual(normalize_mobile(raw, "IT").error, "several", raw)
        result = normalize_mobile("333 1234567 int. 12", "IT")
        self.assertEqual((result.error, result.detail), ("extension", "12"))
        self.assertEqual(
            normalize_mobile("333 1234567 ext. 4", "IT").error, "extension"
        )
