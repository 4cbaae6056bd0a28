"""Fixtures of the review tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.factories import T0


@pytest.fixture
def clock() -> Callable[..., datetime]:
    """An explicit clock: ``clock(minutes=5)`` is T0 + 5 days' worth of nothing else."""

    def at(**delta: Any) -> datetime:
        return T0 + timedelta(days=1) + timedelta(**delta)

    return at
