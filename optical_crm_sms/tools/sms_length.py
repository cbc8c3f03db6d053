"""Contract path of the SMS segment counter (implemented in optical_crm.tools).

``sms_length(text)`` returns ``SmsLength(encoding, units, segments)`` with
``encoding`` ``"gsm7"`` or ``"ucs2"``.
"""

from odoo.addons.optical_crm.tools.sms_length import (  # noqa: F401
    GSM7_BASIC,
    GSM7_EXTENSION,
    GSM7_REPLACEMENTS,
    SmsLength,
    gsm7_replacement,
    is_gsm7,
    non_gsm7_characters,
    sms_length,
    to_gsm7,
)
