"""Mobile number normalisation for SMS (phonenumbers, no Odoo import).

``normalize_mobile(raw, region)`` returns ``MobileNumber(e164, error, detail)``:
``e164`` is set when the number can receive SMS, else ``error`` says why:

* ``missing``: nothing to send to;
* ``several``: the field holds more than one number (``333 1234567 / 02 123``);
* ``extension``: the number carries an extension (``ext. 12``, ``int. 4``);
* ``invalid``: not a valid number for the region;
* ``not_mobile``: a valid number that is not a mobile one (landline, toll free...).
"""

import functools
import re
from collections import namedtuple

import phonenumbers

MobileNumber = namedtuple("MobileNumber", ["e164", "error", "detail"])

# words and signs that separate two numbers written in one field
_SEVERAL = re.compile(r"[/,;|\n&]|\s(?:o|e|or|and|oppure|opp\.?)\s", re.IGNORECASE)
_MOBILE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}
_MAX_DIGITS = 15  # E.164


@functools.lru_cache(maxsize=2048)
def normalize_mobile(raw, region=None):
    """Normalise ``raw`` to E.164 if it is one mobile number (see module doc).

    ``region`` is the ISO country code used for numbers written without the
    international prefix (the company's country).
    """
    raw = (raw or "").strip()
    if not raw:
        return MobileNumber(False, "missing", "")
    digits = re.sub(r"\D", "", raw)
    if _SEVERAL.search(raw) or raw.count("+") > 1 or len(digits) > _MAX_DIGITS + 2:
        return MobileNumber(False, "several", raw)
    try:
        number = phonenumbers.parse(raw, (region or "").upper() or None)
    except phonenumbers.NumberParseException:
        return MobileNumber(False, "invalid", raw)
    if number.extension:
        return MobileNumber(False, "extension", number.extension)
    # number_type() is UNKNOWN exactly when the number is not valid
    number_type = phonenumbers.number_type(number)
    if number_type == phonenumbers.PhoneNumberType.UNKNOWN:
        return MobileNumber(False, "invalid", raw)
    if number_type not in _MOBILE_TYPES:
        return MobileNumber(False, "not_mobile", raw)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return MobileNumber(e164, False, "")
