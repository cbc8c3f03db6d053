#!/usr/bin/env python3
"""Checks every addon's Italian translation against its template.

For each addon: ``i18n/<addon>.pot`` and ``i18n/it.po`` parse; every entry of the
template is in ``it.po``, translated, not fuzzy; placeholders (``%s``,
``%(name)s``, ``{name}``, ``{{ expr }}``, ``%%``) and HTML tags with their
attributes are the same on both sides; the
terms of ``i18n/glossary.csv`` marked ``enforce`` are translated as the glossary
says (``it`` lists the accepted forms, separated by ``|``). Exit status 1 with
one line per problem, 0 with ``it.po ok`` per addon.
"""

import csv
import re
import sys
from collections import Counter
from pathlib import Path

import polib

REPO = Path(__file__).resolve().parent.parent
ADDONS = ("optical_crm", "optical_crm_sms", "optical_crm_cycles", "optical_crm_pos")
PLACEHOLDER = re.compile(
    r"%\([A-Za-z_][A-Za-z0-9_]*\)[-+ #0]*\d*(?:\.\d+)?[sdifr]"  # %(name)s
    r"|%[-+ #0]*\d*(?:\.\d+)?[sdifr]"  # %s %d %.2f
    r"|%%"
    r"|\{\{.*?\}\}"  # {{ object.name }}
    r"|\{[A-Za-z_][A-Za-z0-9_]*\}"  # {name}
)


# HTML elements of view and template terms (not "<months>" in a help text)
TAG = re.compile(
    r"</?(?:a|b|br|button|code|div|em|h[1-6]|hr|i|img|input|kbd|label|li|ol|option|p"
    r"|pre|select|small|span|strong|sub|sup|t|table|tbody|td|th|thead|tr|u|ul)"
    r"(?:\s[^<>]*)?/?>"
)


def placeholders(text):
    return Counter(PLACEHOLDER.findall(text or ""))


def tags(text):
    return Counter(TAG.findall(text or ""))


def load_glossary():
    path = REPO / "i18n" / "glossary.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    return [row for row in rows if row.get("enforce", "").strip() == "yes"]


def check_addon(addon, glossary):
    problems = []
    pot_path = REPO / addon / "i18n" / f"{addon}.pot"
    po_path = REPO / addon / "i18n" / "it.po"
    for path in (pot_path, po_path):
        if not path.is_file():
            return [f"{addon}: {path.relative_to(REPO)} is missing"]
    try:
        pot = polib.pofile(str(pot_path))
        po = polib.pofile(str(po_path))
    except (OSError, ValueError) as exc:
        return [f"{addon}: does not parse: {exc}"]
    entries = {(e.msgctxt, e.msgid): e for e in po if not e.obsolete}
    for tmpl in pot:
        if not tmpl.msgid:
            continue
        where = f"{addon}/i18n/it.po: {tmpl.msgid[:60]!r}"
        entry = entries.get((tmpl.msgctxt, tmpl.msgid))
        if entry is None:
            problems.append(f"{where} missing (run make i18n)")
            continue
        if entry.fuzzy:
            problems.append(f"{where} is fuzzy")
        if not entry.msgstr.strip():
            problems.append(f"{where} is not translated")
            continue
        if placeholders(entry.msgid) != placeholders(entry.msgstr):
            problems.append(
                f"{where} placeholders differ: {sorted(placeholders(entry.msgid))}"
                f" vs {sorted(placeholders(entry.msgstr))}"
            )
        if tags(entry.msgid) != tags(entry.msgstr):
            problems.append(
                f"{where} HTML tags differ: {sorted(tags(entry.msgid))}"
                f" vs {sorted(tags(entry.msgstr))}"
            )
        words = PLACEHOLDER.sub(" ", entry.msgid)  # %(campaign)s is not a word
        for term in glossary:
            en, forms = term["en"].strip(), term["it"].strip().split("|")
            if re.search(rf"\b{re.escape(en)}\b", words, re.I) and not any(
                re.search(re.escape(form), entry.msgstr, re.I) for form in forms
            ):
                problems.append(f"{where}: glossary says {en!r} is {forms[0]!r}")
    return problems


def main():
    glossary = load_glossary()
    failed = False
    for addon in ADDONS:
        problems = check_addon(addon, glossary)
        for problem in problems:
            print(problem)
        if problems:
            failed = True
        else:
            print(f"{addon}: it.po ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
