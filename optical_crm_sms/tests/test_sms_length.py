from odoo.tests import BaseCase, tagged

from ..tools.sms_length import (
    SmsLength,
    gsm7_replacement,
    is_gsm7,
    non_gsm7_characters,
    sms_length,
    to_gsm7,
)


@tagged("post_install", "-at_install")
class TestSmsLength(BaseCase):
    """The segment counter (plain Python, shared with optical_crm)."""

    def test_gsm7_single_and_concatenated(self):
        self.assertEqual(sms_length(""), SmsLength("gsm7", 0, 0))
        self.assertEqual(sms_length(None), SmsLength("gsm7", 0, 0))
        self.assertEqual(sms_length("a" * 160), SmsLength("gsm7", 160, 1))
        self.assertEqual(sms_length("a" * 161), SmsLength("gsm7", 161, 2))
        self.assertEqual(sms_length("a" * 306), SmsLength("gsm7", 306, 2))
        self.assertEqual(sms_length("a" * 307), SmsLength("gsm7", 307, 3))
        # Italian lower-case accents are GSM-7
        self.assertEqual(sms_length("perché è così già più però").encoding, "gsm7")

    def test_gsm7_extension_counts_double(self):
        self.assertEqual(sms_length("€"), SmsLength("gsm7", 2, 1))
        self.assertEqual(sms_length("[]{}\\^~|€"), SmsLength("gsm7", 18, 1))
        self.assertEqual(sms_length("€" * 80), SmsLength("gsm7", 160, 1))
        self.assertEqual(sms_length("€" * 81), SmsLength("gsm7", 162, 2))

    def test_gsm7_escape_never_split(self):
        # 152 septets then an escape pair: it does not fit the 153rd septet, it
        # opens the second segment, so 306 septets need 3 segments, not 2
        text = "a" * 152 + "€" + "a" * 152
        self.assertEqual(sms_length(text), SmsLength("gsm7", 306, 3))
        self.assertEqual(sms_length("a" * 151 + "€" + "a" * 153).segments, 2)

    def test_ucs2(self):
        self.assertEqual(sms_length("È"), SmsLength("ucs2", 1, 1))
        self.assertEqual(sms_length("È" * 70), SmsLength("ucs2", 70, 1))
        self.assertEqual(sms_length("È" * 71), SmsLength("ucs2", 71, 2))
        self.assertEqual(sms_length("È" * 134), SmsLength("ucs2", 134, 2))
        self.assertEqual(sms_length("È" * 135), SmsLength("ucs2", 135, 3))
        # an emoji is a surrogate pair: two units
        self.assertEqual(sms_length("😀" * 35), SmsLength("ucs2", 70, 1))
        self.assertEqual(sms_length("ciao 😀"), SmsLength("ucs2", 7, 1))

    def test_ucs2_surrogate_never_split(self):
        text = "a" * 66 + "😀" + "a" * 66
        self.assertEqual(sms_length(text), SmsLength("ucs2", 134, 3))
        self.assertEqual(sms_length("a" * 65 + "😀" + "a" * 67).segments, 2)

    def test_offending_characters_and_replacements(self):
        text = "È l’ora dei saldi 😀 È"
        self.assertFalse(is_gsm7(text))
        self.assertEqual(non_gsm7_characters(text), ["È", "’", "😀"])
        self.assertEqual(gsm7_replacement("È"), "E'")
        self.assertEqual(gsm7_replacement("’"), "'")
        self.assertIsNone(gsm7_replacement("😀"))
        self.assertEqual(to_gsm7("È l’ora – “saldi”…"), "E' l'ora - \"saldi\"...")
        fixed = to_gsm7("È l’ora dei saldi")
        self.assertTrue(is_gsm7(fixed))
        self.assertEqual(sms_length(fixed).encoding, "gsm7")

    def test_shared_with_optical_crm(self):
        from odoo.addons.optical_crm.tools import sms_length as core

        self.assertIs(core.sms_length, sms_length)
