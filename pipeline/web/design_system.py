"""The GC Design System (GCDS), served by the app itself: never from a CDN.

``make install`` runs ``npm ci``, which puts the components (``@gcds-core/components``) and
their fonts (``@gcds-core/fonts``) under ``node_modules/`` beside ``pyproject.toml``. The app
serves them under ``/static/gcds/`` and ``/static/gcds-fonts/``. The components' stylesheet
imports its fonts from Google Fonts and the GCDS CDN; ``/static/gcds/gcds.css`` is that
stylesheet with the import dropped and the icon font pointed at the local copy, so the pages
load nothing from elsewhere and the content security policy can stay ``'self'``.

When the folder is missing the app still starts: it logs what to run, and each page says so
(``ready`` is False) while falling back to its own stylesheet.
"""

from __future__ import annotations

import logging
import re
from functools import cache
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

log = logging.getLogger(__name__)

NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"
COMPONENTS = NODE_MODULES / "@gcds-core" / "components" / "dist" / "gcds"
FONTS = NODE_MODULES / "@gcds-core" / "fonts" / "fonts"
PREFIX = "/static/gcds"
FONTS_PREFIX = "/static/gcds-fonts"
MISSING = "the GC Design System is not installed: run `make install` (it runs `npm ci`)"
_REMOTE_IMPORT = re.compile(r"@import\s+url\(\s*[\"']?https?://[^)]*\)\s*;")
_ICON_FONT = re.compile(r"url\(\s*[\"']?https?://[^)\"']*/icons/(gcds-icons\.[a-z0-9]+)[\"']?\s*\)")


def ready() -> bool:
    return (COMPONENTS / "gcds.esm.js").is_file() and (FONTS / "icons").is_dir()


def local_css(css: str) -> str:
    """The components' stylesheet without its remote font import, the icon font made local."""
    css = _REMOTE_IMPORT.sub("", css)
    return _ICON_FONT.sub(lambda m: f'url("{FONTS_PREFIX}/icons/{m.group(1)}")', css)


@cache
def _stylesheet(path: Path) -> bytes:
    return local_css(path.read_text(encoding="utf-8")).encode()


class _Revalidated(StaticFiles):
    """Files the browser may keep but must check again (``no-cache``, answered 304 by ETag):
    the app's own ``no-store`` would fetch the 600 kB of components on every page."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await self._answer(path, scope)
        response.headers["Cache-Control"] = "no-cache"
        return response

    async def _answer(self, path: str, scope: Scope) -> Response:
        return await super().get_response(path, scope)


class _Components(_Revalidated):
    """The components' folder, its ``gcds.css`` answered with the local copy (``local_css``)."""

    async def _answer(self, path: str, scope: Scope) -> Response:
        if path == "gcds.css":
            return Response(_stylesheet(COMPONENTS / path), media_type="text/css; charset=utf-8")
        return await super()._answer(path, scope)


def mount(app: FastAPI) -> bool:
    """Serve the components and fonts on ``app`` (mounted before its ``/static``); False, and
    a warning in the log, when ``make install`` has not put them in place."""
    app.state.design_system = ready()
    if not app.state.design_system:
        log.warning(MISSING)
        return False

    app.mount(PREFIX, _Components(directory=str(COMPONENTS)), name="gcds")
    app.mount(FONTS_PREFIX, _Revalidated(directory=str(FONTS)), name="gcds-fonts")
    return True
