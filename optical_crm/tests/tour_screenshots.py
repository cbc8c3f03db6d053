"""Screenshots of the browser tours, for the documentation.

With ``OPTICAL_SCREENSHOTS=<folder>`` in the environment, every tour step made
with ``opticalScreenshot(name)`` (static/tests/tours/optical_screenshot.js) saves
the page as ``<folder>/<name>.png`` (256 colours, a few dozen KB). Without it the
tours run as usual. ``tests/tools/screenshots.sh`` runs them in a throw-away
database.
"""

import base64
import io
import logging
import os
import pathlib
from unittest.mock import patch

from odoo.tests.common import ChromeBrowser

_logger = logging.getLogger(__name__)
PREFIX = "optical-screenshot:"


def _save_png(data, path):
    from PIL import Image

    image = Image.open(io.BytesIO(data)).convert("RGB")
    image = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    image.save(path, format="PNG", optimize=True)
    _logger.info("screenshot %s (%s bytes)", path, path.stat().st_size)


class TourScreenshotMixin:
    """For HttpCase classes whose tours take screenshots."""

    def start_tour(self, url_path, tour_name, **kwargs):
        folder = os.environ.get("OPTICAL_SCREENSHOTS")
        if not folder:
            return super().start_tour(url_path, tour_name, **kwargs)
        folder = pathlib.Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        handle_console = ChromeBrowser._handle_console

        def console(browser, *args_, **kw):
            # called as (type=, args=, stackTrace=) by the browser's event loop
            args = kw.get("args") or (args_[1] if len(args_) > 1 else None)
            text = str(browser._from_remoteobject(args[0])) if args else ""
            if text.startswith(PREFIX):
                path = folder / f"{text[len(PREFIX) :]}.png"

                def save(future):
                    try:
                        _save_png(base64.b64decode(future.result()["data"]), path)
                    except Exception:  # noqa: BLE001 - a documentation aid only
                        _logger.info("could not save %s", path, exc_info=True)

                browser._websocket_send(
                    "Page.captureScreenshot", with_future=True
                ).add_done_callback(save)
            return handle_console(browser, *args_, **kw)

        cookies = dict(kwargs.pop("cookies", None) or {}, optical_screenshots="1")
        with patch.object(ChromeBrowser, "_handle_console", console):
            return super().start_tour(url_path, tour_name, cookies=cookies, **kwargs)
