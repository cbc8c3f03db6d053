#!/usr/bin/env python3
"""Fills empty msgstr of an addon's it.po from a JSON object {msgid: msgstr}.

Usage: i18n/fill_po.py ADDON translations.json  (entries already translated are
kept unless --force). Prints what is still untranslated.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import polib

REPO = Path(__file__).resolve().parent.parent


def main(argv):
    force = "--force" in argv
    addon, source = [a for a in argv if a != "--force"][:2]
    translations = json.loads(Path(source).read_text(encoding="utf-8"))
    path = REPO / addon / "i18n" / "it.po"
    po = polib.pofile(str(path), wrapwidth=0)
    po.metadata["Language"] = "it"
    po.metadata["Plural-Forms"] = "nplurals=2; plural=(n != 1);"
    for entry in po:
        if entry.msgid in translations and (force or not entry.msgstr):
            entry.msgstr = translations[entry.msgid]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
    po.save(str(path))
    if shutil.which("msgattrib"):  # the layout msgmerge writes (make i18n): no churn
        subprocess.run(
            ["msgattrib", "--no-wrap", "-o", str(path), str(path)], check=True
        )
    for entry in po.untranslated_entries():
        print(f"untranslated: {entry.msgid!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
