"""Column names and values of the files of optical shop software.

Plain Python, no Odoo import: the tables the legacy import reads its files with,
and the parsing of the values as shops write them. Italian software first, English
and abbreviated headers too (``Cust code``, ``OD SPH``, ``OS.AX``, ``SF DX``).
"""

import re
import unicodedata
from datetime import datetime

# our key -> the normalized headers that hold it, per kind of file; the first name
# of a key is the one error messages show
CUSTOMER_COLUMNS = {
    "code": (
        "codice cliente",
        "codice",
        "cod cliente",
        "id cliente",
        "customer code",
        "cust code",
        "customer id",
        "customer no",
        "customer number",
        "client code",
        "client id",
        "code",
    ),
    "last_name": ("cognome", "surname", "last name", "lastname", "family name"),
    "first_name": ("nome", "name", "first name", "firstname", "given name"),
    "birthdate": (
        "data di nascita",
        "data nascita",
        "nato il",
        "nascita",
        "birth date",
        "birthdate",
        "date of birth",
        "dob",
    ),
    "street": ("indirizzo", "via", "address", "street"),
    "zip": ("cap", "zip", "zip code", "postcode", "postal code"),
    "city": ("citta", "comune", "localita", "city", "town"),
    "province": ("provincia", "prov", "province"),
    "phone": (
        "telefono",
        "tel",
        "telefono fisso",
        "phone",
        "telephone",
        "landline",
        "home phone",
    ),
    "mobile": (
        "cellulare",
        "cell",
        "telefono cellulare",
        "mobile",
        "mobile phone",
        "mobile number",
        "cellphone",
        "cell phone",
    ),
    "email": ("email", "e mail", "posta elettronica", "mail", "email address"),
    "consent_sms": (
        "consenso sms",
        "consenso marketing sms",
        "sms consent",
        "consent sms",
        "marketing sms",
    ),
    "consent_email": (
        "consenso email",
        "consenso e mail",
        "consenso marketing email",
        "email consent",
        "e mail consent",
        "consent email",
        "marketing email",
    ),
    "consent_phone": (
        "consenso telefono",
        "consenso telefonico",
        "phone consent",
        "consent phone",
    ),
    "consent_date": ("data consenso", "consent date", "date of consent"),
    "note": ("note", "annotazioni", "osservazioni", "notes", "comments", "remarks"),
}
CUSTOMER_CODE = (
    "codice cliente",
    "cod cliente",
    "id cliente",
    "customer code",
    "cust code",
    "customer id",
    "customer no",
    "client code",
    "client id",
)
PRESCRIPTION_COLUMNS = {
    "code": CUSTOMER_CODE,
    "date": ("data", "data ricetta", "data prescrizione", "date", "rx date"),
    "ref": (
        "codice ricetta",
        "numero ricetta",
        "id ricetta",
        "prescription code",
        "prescription number",
        "prescription id",
        "rx number",
        "rx id",
    ),
    "kind": ("tipo", "tipo ricetta", "type", "rx type", "prescription type"),
    "pd": (
        "dip",
        "dp",
        "pd",
        "ipd",
        "distanza interpupillare",
        "interpupillary distance",
        "pupillary distance",
    ),
    "addition": ("addizione", "add", "addition"),
    "cl_base_curve": (
        "curva base",
        "raggio base",
        "lac curva base",
        "rb",
        "bc",
        "base curve",
    ),
    "cl_diameter": ("diametro", "lac diametro", "diam", "dia", "diameter"),
    "expiry": (
        "scadenza",
        "valida fino al",
        "expiry",
        "expiry date",
        "expires",
        "valid until",
    ),
    "note": ("note", "osservazioni", "notes", "remarks"),
}
# the values of each eye: "OD SF", "SF OD", "OD.SPH", "OD_AX", "ODAX", "SF DX"...
EYE_COLUMNS = {
    "sphere": ("sfera", "sf", "sph", "sphere"),
    "cylinder": ("cilindro", "cil", "cyl", "cylinder"),
    "axis": ("asse", "ax", "axis"),
    "addition": ("addizione", "add", "addition"),
    "prism": ("prisma", "prism"),
    "prism_base": ("base", "base prisma", "prism base", "base prism"),
    "pd": ("dip", "dp", "pd", "semi dip", "mono pd"),
    # one base curve and diameter per prescription: either eye's column fills it
    "cl_base_curve": ("curva base", "raggio base", "rb", "bc", "base curve"),
    "cl_diameter": ("diametro", "diam", "dia", "diameter"),
}
# how software names the eyes: right (OD, DX) and left (OS, SX)
EYES = {
    "od": "od",
    "os": "os",
    "dx": "od",
    "sx": "os",
    "right": "od",
    "left": "os",
    "re": "od",
    "le": "os",
    "r": "od",
    "l": "os",
}
# written glued to the value's name: "ODAX", "SFDX"
GLUED_EYES = ("od", "os", "dx", "sx")
for _eye in ("od", "os"):
    for _key, _names in EYE_COLUMNS.items():
        PRESCRIPTION_COLUMNS[f"{_eye}_{_key}"] = tuple(
            name for base in _names for name in (f"{_eye} {base}", f"{base} {_eye}")
        )
PURCHASE_COLUMNS = {
    "code": CUSTOMER_CODE,
    "date": (
        "data",
        "data documento",
        "data vendita",
        "date",
        "document date",
        "sale date",
        "invoice date",
        "purchase date",
    ),
    "document": (
        "documento",
        "numero documento",
        "n documento",
        "num doc",
        "document",
        "document number",
        "doc",
        "doc no",
        "invoice",
        "invoice number",
        "receipt",
        "receipt number",
    ),
    "product_code": (
        "codice articolo",
        "cod articolo",
        "articolo",
        "product code",
        "item code",
        "article code",
        "sku",
    ),
    "description": (
        "descrizione",
        "descrizione articolo",
        "description",
        "product description",
        "item description",
    ),
    "category": (
        "categoria",
        "tipo articolo",
        "reparto",
        "category",
        "product category",
        "department",
    ),
    "quantity": ("quantita", "qta", "qt", "quantity", "qty"),
    "amount": (
        "importo",
        "totale",
        "importo riga",
        "prezzo totale",
        "amount",
        "total",
        "line total",
        "total amount",
    ),
}
COLUMNS = {
    "customers": CUSTOMER_COLUMNS,
    "prescriptions": PRESCRIPTION_COLUMNS,
    "purchases": PURCHASE_COLUMNS,
}
REQUIRED = {
    "customers": ("code", "last_name"),
    "prescriptions": ("code", "date"),
    "purchases": ("code", "date"),
}
# a column mapped by the user to nothing
IGNORE = "ignore"
YES = {"si", "s", "x", "1", "true", "vero", "yes", "y"}
NO = {"no", "n", "0", "false", "falso"}
KINDS = {
    "occhiali": "spectacles",
    "occhiale": "spectacles",
    "vista": "spectacles",
    "lontano": "spectacles",
    "vicino": "spectacles",
    "progressive": "spectacles",
    "spectacles": "spectacles",
    "glasses": "spectacles",
    "eyeglasses": "spectacles",
    "lac": "contact_lens",
    "lenti a contatto": "contact_lens",
    "lenti contatto": "contact_lens",
    "contattologia": "contact_lens",
    "contact lens": "contact_lens",
    "contact lenses": "contact_lens",
    "cl": "contact_lens",
}
PRISM_BASES = {
    "alto": "up",
    "su": "up",
    "sup": "up",
    "up": "up",
    "basso": "down",
    "giu": "down",
    "inf": "down",
    "down": "down",
    "interno": "in",
    "interna": "in",
    "nasale": "in",
    "in": "in",
    "esterno": "out",
    "esterna": "out",
    "temporale": "out",
    "out": "out",
}
CATEGORIES = {
    "montatura": "frame",
    "montature": "frame",
    "frame": "frame",
    "frames": "frame",
    "lenti oftalmiche": "spectacle_lens",
    "lente oftalmica": "spectacle_lens",
    "lenti da vista": "spectacle_lens",
    "spectacle lens": "spectacle_lens",
    "spectacle lenses": "spectacle_lens",
    "ophthalmic lenses": "spectacle_lens",
    "occhiale da vista": "spectacles",
    "occhiali da vista": "spectacles",
    "occhiale completo": "spectacles",
    "spectacles": "spectacles",
    "glasses": "spectacles",
    "occhiale da sole": "sunglasses",
    "occhiali da sole": "sunglasses",
    "sole": "sunglasses",
    "sunglasses": "sunglasses",
    "lenti a contatto": "contact_lens",
    "lente a contatto": "contact_lens",
    "lac": "contact_lens",
    "contact lens": "contact_lens",
    "contact lenses": "contact_lens",
    "liquidi": "lens_care",
    "soluzioni": "lens_care",
    "manutenzione lac": "lens_care",
    "lens care": "lens_care",
    "solutions": "lens_care",
    "esame della vista": "eye_exam",
    "esame vista": "eye_exam",
    "controllo della vista": "eye_exam",
    "visita optometrica": "eye_exam",
    "eye exam": "eye_exam",
    "accessori": "accessory",
    "accessorio": "accessory",
    "accessory": "accessory",
    "accessories": "accessory",
}
# a line whose description or category holds one of these is an eye exam
EYE_EXAM_WORDS = (
    "controllo della vista",
    "controllo vista",
    "esame della vista",
    "esame vista",
    "visita optometrica",
    "esame optometrico",
    "misurazione della vista",
    "refrazione",
    "eye exam",
    "eye examination",
    "eye test",
    "sight test",
    "refraction",
)
# categories of services: imported as purchases without an optical category
SERVICE_CATEGORIES = {
    "servizi",
    "servizio",
    "prestazioni",
    "riparazione",
    "riparazioni",
    "assistenza",
    "laboratorio",
    "montaggio",
    "services",
    "service",
    "repair",
    "repairs",
}
# units written after the numbers: degrees, diopters (dt = diottrie), mm, euro
UNITS = re.compile(r"(°|º|gradi|deg|diottrie|dpt|dt|d|mm|€|eur|euro)\.?$")
PLANO = {"pl", "plano", "neutro"}
DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d")
TIME_OF_DAY = re.compile(r"(t|\s+)\d{1,2}[:.]\d{2}([:.]\d{2}(\.\d+)?)?$", re.I)


def normalize(text):
    """Lower case, no accents, words separated by one space: 'Città' -> 'citta'."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def _index(table):
    index = {}
    for key, names in table.items():
        for name in names:
            index.setdefault(name, key)
    return index


NAMES = {kind: _index(table) for kind, table in COLUMNS.items()}
EYE_NAMES = _index(EYE_COLUMNS)
EYE_NAMES.update({name.replace(" ", ""): key for name, key in list(EYE_NAMES.items())})


def column_key(kind, title):
    """Our key for the column ``title`` of a file of ``kind``, or None."""
    name = normalize(title)
    key = NAMES[kind].get(name)
    if key or kind != "prescriptions" or not name:
        return key
    return _eye_column_key(name)


def _eye_column_key(name):
    """'od ax', 'ax od', 'odax', 'sf dx', 'right sphere' -> 'od_axis'..."""
    words = name.split()
    candidates = []
    if len(words) > 1:
        candidates += [
            (words[0], " ".join(words[1:])),
            (words[-1], " ".join(words[:-1])),
        ]
    glued = name.replace(" ", "")
    for eye in GLUED_EYES:
        if glued.startswith(eye):
            candidates.append((eye, glued[len(eye) :]))
        if glued.endswith(eye):
            candidates.append((eye, glued[: -len(eye)]))
    for eye, rest in candidates:
        if eye in EYES and rest in EYE_NAMES:
            return f"{EYES[eye]}_{EYE_NAMES[rest]}"
    return None


def parse_number(text, amount=False):
    """The number a shop wrote: '+2,00', '-0,50 dt', '180°', '2.00', '1.234,50 €'.

    0.0 for an empty cell (and for 'plano' when not an amount); ValueError when
    the text is not a number. ``amount``: '1.234' is a thousand, not one.
    """
    text = (text or "").strip().lower().replace("\u2212", "-").replace(" ", "")
    text = UNITS.sub("", text).lstrip("€")
    if not text or (not amount and text in PLANO):
        return 0.0
    if "," in text:
        text = text.replace(".", "").replace(",", ".")
    elif amount and re.fullmatch(r"[-+]?\d{1,3}(\.\d{3})+", text):
        text = text.replace(".", "")
    if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)", text):
        raise ValueError(text)
    return float(text)


def parse_date(text):
    """The date of 'dd/mm/yyyy' (also with - or .), 'yyyy-mm-dd', with or without
    a time of day; None when empty, ValueError otherwise."""
    text = TIME_OF_DAY.sub("", (text or "").strip())
    if not text:
        return None
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def parse_bool(text):
    """True, False, or None when empty; ValueError when neither yes nor no."""
    value = normalize(text)
    if not value:
        return None
    if value in YES:
        return True
    if value in NO:
        return False
    raise ValueError(text)


def merge_eye_values(vals):
    """Fill the prescription values ``vals`` from those a file gives once for
    both eyes, or per eye where the prescription has one value.

    ``addition`` fills each eye's addition; ``od_``/``os_cl_base_curve`` and
    ``cl_diameter`` fill the prescription's. Returns ``[(field, od, os)]`` for
    the eyes that differ (the prescription keeps the right eye's).
    """
    addition = vals.pop("addition", 0.0)
    for eye in ("od", "os"):
        if addition and not vals.get(f"{eye}_addition"):
            vals[f"{eye}_addition"] = addition
    differences = []
    for fname in ("cl_base_curve", "cl_diameter"):
        od, os_ = (vals.pop(f"{eye}_{fname}", 0.0) for eye in ("od", "os"))
        if (od or os_) and not vals.get(fname):
            vals[fname] = od or os_
        if od and os_ and od != os_:
            differences.append((fname, od, os_))
    return differences


def says_eye_exam(text):
    value = normalize(text)
    return bool(value) and any(words in value for words in EYE_EXAM_WORDS)


def purchase_category(category, description):
    """``(optical category or None, recognised)`` of a purchase line.

    A known category wins; then an eye exam said by the category or the
    description (``'eye_exam'``); services (Servizi, Riparazione...) and lines
    without a category have none. ``recognised`` is False for a category text
    that is none of these (the line is a sale all the same).
    """
    value = normalize(category)
    if value in CATEGORIES:
        return CATEGORIES[value], True
    if says_eye_exam(category) or says_eye_exam(description):
        return "eye_exam", True
    return None, not value or value in SERVICE_CATEGORIES
