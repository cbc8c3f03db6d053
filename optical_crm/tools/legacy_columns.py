"""Column names and values of the files of Italian optical shop software.

Plain Python, no Odoo import: the tables the legacy import reads its files with.
"""

import re
import unicodedata

# normalized header -> our key, per kind of file
CUSTOMER_COLUMNS = {
    "code": ("codice cliente", "codice", "cod cliente", "id cliente"),
    "last_name": ("cognome",),
    "first_name": ("nome",),
    "birthdate": ("data di nascita", "data nascita", "nato il"),
    "street": ("indirizzo", "via"),
    "zip": ("cap",),
    "city": ("citta", "comune", "localita"),
    "province": ("provincia", "prov"),
    "phone": ("telefono", "tel", "telefono fisso"),
    "mobile": ("cellulare", "cell", "telefono cellulare"),
    "email": ("email", "e mail", "posta elettronica"),
    "consent_sms": ("consenso sms", "consenso marketing sms"),
    "consent_email": ("consenso email", "consenso e mail", "consenso marketing email"),
    "consent_phone": ("consenso telefono", "consenso telefonico"),
    "consent_date": ("data consenso",),
    "note": ("note", "annotazioni"),
}
PRESCRIPTION_COLUMNS = {
    "code": ("codice cliente", "cod cliente", "id cliente"),
    "date": ("data", "data ricetta", "data prescrizione"),
    "ref": ("codice ricetta", "numero ricetta", "id ricetta"),
    "kind": ("tipo", "tipo ricetta"),
    "pd": ("dip", "dp", "distanza interpupillare"),
    "cl_base_curve": ("curva base", "raggio base", "lac curva base", "rb"),
    "cl_diameter": ("diametro", "lac diametro"),
    "expiry": ("scadenza", "valida fino al"),
    "note": ("note",),
}
EYE_COLUMNS = {
    "sphere": ("sfera", "sf"),
    "cylinder": ("cilindro", "cil"),
    "axis": ("asse",),
    "addition": ("addizione", "add"),
    "prism": ("prisma",),
    "prism_base": ("base", "base prisma"),
    "pd": ("dip", "dp"),
}
for _eye in ("od", "os"):
    for _key, _names in EYE_COLUMNS.items():
        PRESCRIPTION_COLUMNS[f"{_eye}_{_key}"] = tuple(
            name for base in _names for name in (f"{_eye} {base}", f"{base} {_eye}")
        )
PURCHASE_COLUMNS = {
    "code": ("codice cliente", "cod cliente", "id cliente"),
    "date": ("data", "data documento", "data vendita"),
    "document": ("documento", "numero documento", "n documento", "num doc"),
    "product_code": ("codice articolo", "cod articolo", "articolo"),
    "description": ("descrizione", "descrizione articolo"),
    "category": ("categoria", "tipo articolo", "reparto"),
    "quantity": ("quantita", "qta", "qt"),
    "amount": ("importo", "totale", "importo riga", "prezzo totale"),
}
REQUIRED = {
    "customers": ("code", "last_name"),
    "prescriptions": ("code", "date"),
    "purchases": ("code", "date"),
}
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
    "lac": "contact_lens",
    "lenti a contatto": "contact_lens",
    "lenti contatto": "contact_lens",
    "contattologia": "contact_lens",
    "contact lens": "contact_lens",
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
    "lenti oftalmiche": "spectacle_lens",
    "lente oftalmica": "spectacle_lens",
    "lenti da vista": "spectacle_lens",
    "occhiale da vista": "spectacles",
    "occhiali da vista": "spectacles",
    "occhiale completo": "spectacles",
    "occhiale da sole": "sunglasses",
    "occhiali da sole": "sunglasses",
    "sole": "sunglasses",
    "lenti a contatto": "contact_lens",
    "lente a contatto": "contact_lens",
    "lac": "contact_lens",
    "liquidi": "lens_care",
    "soluzioni": "lens_care",
    "manutenzione lac": "lens_care",
    "esame della vista": "eye_exam",
    "esame vista": "eye_exam",
    "controllo della vista": "eye_exam",
    "visita optometrica": "eye_exam",
    "accessori": "accessory",
    "accessorio": "accessory",
}


def normalize(text):
    """Lower case, no accents, words separated by one space: 'Città' -> 'citta'."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())
