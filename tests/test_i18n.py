"""Italian translations: the checker passes, and Odoo's term extraction reads every
source file (a file it cannot parse loses all its terms after the failing call)."""

import subprocess
import sys

import pytest

from .conftest import ADDONS, REPO


def test_italian_translations_complete():
    result = subprocess.run(
        [sys.executable, str(REPO / "i18n/check_po.py")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "it.po ok" in result.stdout


@pytest.mark.parametrize("addon", ADDONS)
def test_terms_extractable(addon):
    """The export reads Python with Babel's extractor and the keywords `_`/`_lt`
    (odoo/tools/translate.py, _export_translatable_resources). The Babel pinned by
    Odoo 18 evaluates every string token of a `_()` call: an f-string argument
    (`_("... %(x)s", x=f"{v:.2f}")`) raises, and the rest of the file is lost."""
    extract = pytest.importorskip("babel.messages.extract")
    failures = []
    for path in sorted((REPO / addon).rglob("*.py")):
        with path.open("rb") as fh:
            try:
                list(
                    extract.extract(
                        "python",
                        fh,
                        keywords={"_": None, "_lt": None},
                        options={"encoding": "UTF-8"},
                    )
                )
            except Exception as exc:  # noqa: BLE001 - any failure loses terms
                failures.append(f"{path.relative_to(REPO)}: {exc!r}")
    assert not failures, (
        "Odoo cannot extract the terms of these files (no f-strings inside _()):\n"
        + "\n".join(failures)
    )
