"""The review web app (``impartial serve``): ``create_app`` builds it."""

from __future__ import annotations

from pipeline.web.app import create_app

__all__ = ["create_app"]
