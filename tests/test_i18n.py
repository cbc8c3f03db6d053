"""The translation checker (i18n/check_po.py) passes on every addon."""

import subprocess
import sys

from .conftest import REPO


def test_italian_translations_complete():
    result = subprocess.run(
        [sys.executable, str(REPO / "i18n/check_po.py")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "it.po ok" in result.stdout
