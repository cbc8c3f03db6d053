"""GSM-7 / UCS-2 length of an SMS: encoding, units and segments.

Plain Python (no Odoo import) so that every SMS editor, the campaign previews and
the SMS providers count the same way.

* GSM-7 (3GPP TS 23.038): the basic table costs one septet per character, the
  extension table (``^ { } \\ [ ~ ] | €`` and form feed) two (escape + character).
  One segment holds 160 septets; a concatenated message 153 per segment, and an
  escape sequence is never split between two segments.
* UCS-2 (UTF-16 in practice): as soon as one character is outside GSM-7 the whole
  message is encoded in UCS-2. One segment holds 70 code units, a concatenated
  message 67 per segment; characters outside the BMP (most emoji) take a surrogate
  pair (two units) that is never split between two segments.
"""

from collections import namedtuple

SmsLength = namedtuple("SmsLength", ["encoding", "units", "segments"])

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67

# Characters that turn a message into UCS-2 and what to write instead so that it
# stays GSM-7. Italian first: capital accented vowels are written with an
# apostrophe ("E'" for "È"), typographic quotes and dashes become plain ones.
GSM7_REPLACEMENTS = {
    "È": "E'",
    "À": "A'",
    "Ì": "I'",
    "Ò": "O'",
    "Ù": "U'",
    "Ó": "O'",
    "Ú": "U'",
    "Í": "I'",
    "Á": "A'",
    "á": "à",
    "í": "ì",
    "ó": "ò",
    "ú": "ù",
    "â": "a",
    "ê": "e",
    "î": "i",
    "ô": "o",
    "û": "u",
    "ë": "e",
    "ï": "i",
    "ç": "Ç",
    "’": "'",
    "‘": "'",
    "‚": "'",
    "´": "'",
    "`": "'",
    "“": '"',
    "”": '"',
    "„": '"',
    "«": '"',
    "»": '"',
    "–": "-",
    "—": "-",
    "‐": "-",
    "−": "-",
    "…": "...",
    "\u00a0": " ",
    "\u2009": " ",
    "\u202f": " ",
    "\t": " ",
    "•": "-",
    "°": "o",
    "ª": "a",
    "º": "o",
}


def _gsm7_cost(char):
    if char in GSM7_BASIC:
        return 1
    if char in GSM7_EXTENSION:
        return 2
    return None


def _ucs2_cost(char):
    return 2 if ord(char) > 0xFFFF else 1


def _segments(costs, single, multi):
    """Number of segments for characters of the given costs (never splitting one)."""
    total = sum(costs)
    if not total:
        return 0
    if total <= single:
        return 1
    segments, used = 1, 0
    for cost in costs:
        if used + cost > multi:
            segments += 1
            used = 0
        used += cost
    return segments


def is_gsm7(text):
    """True when every character of ``text`` can be sent in GSM-7."""
    return all(_gsm7_cost(char) for char in text or "")


def sms_length(text):
    """Return ``SmsLength(encoding, units, segments)`` for ``text``.

    ``encoding`` is ``"gsm7"`` or ``"ucs2"``; ``units`` are septets for GSM-7 (an
    extension character counts two) and UTF-16 code units for UCS-2 (a surrogate
    pair counts two); ``segments`` is the number of SMS billed (0 for no text).
    """
    text = text or ""
    costs = [_gsm7_cost(char) for char in text]
    if all(costs):
        return SmsLength("gsm7", sum(costs), _segments(costs, GSM7_SINGLE, GSM7_MULTI))
    costs = [_ucs2_cost(char) for char in text]
    return SmsLength("ucs2", sum(costs), _segments(costs, UCS2_SINGLE, UCS2_MULTI))


def non_gsm7_characters(text):
    """The distinct characters of ``text`` that force UCS-2, in order of appearance."""
    seen = []
    for char in text or "":
        if not _gsm7_cost(char) and char not in seen:
            seen.append(char)
    return seen


def gsm7_replacement(char):
    """The GSM-7 text to write instead of ``char``, or None when there is none."""
    return GSM7_REPLACEMENTS.get(char)


def to_gsm7(text):
    """``text`` with every character that has a GSM-7 replacement replaced.

    Characters without a replacement (emoji, other scripts) are left as they are:
    the result may still need UCS-2, which ``sms_length`` tells.
    """
    return "".join(GSM7_REPLACEMENTS.get(char, char) for char in text or "")
