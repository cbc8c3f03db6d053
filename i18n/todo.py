#!/usr/bin/env python3
"""What is left to translate after ``make i18n``, ready to fill.

``i18n/todo.py`` writes ``i18n/translations/todo-<addon>.json`` for every addon
with untranslated entries: ``{msgid: msgstr}``, the msgstr pre-filled when the same
msgid is already translated in another addon's map, else empty. For each empty one
it prints the nearest translated msgid (a string that changed a little keeps most of
its old translation). Fill the files, then for each addon::

    i18n/fill_po.py <addon> i18n/translations/todo-<addon>.json
    i18n/check_po.py
    i18n/todo.py --save     # the maps follow it.po; the todo files are removed

``i18n/translations/<addon>.json`` is the translation memory: every msgid of the
addon with its Italian text, as in ``it.po``.
"""

import difflib
import json
import sys
from pathlib import Path

import polib

REPO = Path(__file__).resolve().parent.parent
ADDONS = ("optical_crm", "optical_crm_sms", "optical_crm_cycles", "optical_crm_pos")
MAPS = REPO / "i18n" / "translations"


def load_po(addon):
    return polib.pofile(str(REPO / addon / "i18n" / "it.po"), wrapwidth=0)


def load_map(addon):
    path = MAPS / f"{addon}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def save():
    MAPS.mkdir(exist_ok=True)
    for addon in ADDONS:
        entries = {
            e.msgid: e.msgstr
            for e in load_po(addon)
            if e.msgid and e.msgstr and not e.fuzzy and not e.obsolete
        }
        path = MAPS / f"{addon}.json"
        text = json.dumps(entries, ensure_ascii=False, indent=1, sort_keys=True)
        path.write_text(text + "\n", encoding="utf-8")
        (MAPS / f"todo-{addon}.json").unlink(missing_ok=True)
        print(f"{path.relative_to(REPO)}: {len(entries)} entries")


def todo():
    memory = {}
    for addon in ADDONS:
        memory.update(load_map(addon))
    known = list(memory)
    left = 0
    for addon in ADDONS:
        po = load_po(addon)
        pending = [e for e in po if e.msgid and (not e.msgstr or e.fuzzy)]
        if not pending:
            continue
        fill = {}
        for entry in pending:
            fill[entry.msgid] = memory.get(entry.msgid, "")
            if fill[entry.msgid]:
                continue
            left += 1
            near = difflib.get_close_matches(entry.msgid, known, n=1, cutoff=0.6)
            print(f"{addon}: {entry.msgid!r}")
            if near:
                print(f"    was {near[0]!r}\n     => {memory[near[0]]!r}")
        path = MAPS / f"todo-{addon}.json"
        text = json.dumps(fill, ensure_ascii=False, indent=1, sort_keys=True)
        path.write_text(text + "\n", encoding="utf-8")
        print(f"{path.relative_to(REPO)}: {len(fill)} entries to review")
    print(f"{left} entries without a translation yet")


if __name__ == "__main__":
    save() if "--save" in sys.argv[1:] else todo()
