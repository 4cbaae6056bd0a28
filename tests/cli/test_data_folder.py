"""Every command finds the same data folder from any working folder, and says which one when
it is about to create a new, empty database there."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline import config
from pipeline.cli import app, common
from pipeline.config import PROJECT_ROOT, Settings, get_settings


@pytest.fixture
def no_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IMPARTIAL_DATABASE_URL", raising=False)
    monkeypatch.delenv("IMPARTIAL_DATA_DIR", raising=False)
    get_settings.cache_clear()


def test_the_default_data_folder_is_the_checkouts_from_any_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_database_url: None
) -> None:
    monkeypatch.chdir(tmp_path)
    assert Settings(_env_file=None).data_dir == PROJECT_ROOT / ".impartial"
    assert (PROJECT_ROOT / "pyproject.toml").is_file()


def test_a_package_installed_outside_a_checkout_uses_the_users_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_database_url: None
) -> None:
    monkeypatch.setattr(config, "PROJECT_ROOT", tmp_path / "site-packages")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    assert Settings(_env_file=None).data_dir == tmp_path / "share" / "impartial"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert Settings(_env_file=None).data_dir == tmp_path / "home" / ".local/share/impartial"


def test_impartial_data_dir_still_names_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_database_url: None
) -> None:
    monkeypatch.setenv("IMPARTIAL_DATA_DIR", str(tmp_path / "elsewhere"))
    assert Settings(_env_file=None).data_dir == tmp_path / "elsewhere"


def test_a_command_about_to_create_a_database_names_the_folder_once_on_stderr(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    no_database_url: None,
) -> None:
    monkeypatch.setenv("IMPARTIAL_DATA_DIR", str(tmp_path / "new"))
    get_settings.cache_clear()
    common.note_new_data_folder()
    common.note_new_data_folder()
    first = capsys.readouterr()
    assert first.out == ""
    assert first.err.count(f"no database in {tmp_path / 'new'} yet") == 1
    assert "IMPARTIAL_DATA_DIR" in first.err

    (tmp_path / "old" / "pg").mkdir(parents=True)
    (tmp_path / "old" / "pg" / "PG_VERSION").write_text("18\n")
    monkeypatch.setenv("IMPARTIAL_DATA_DIR", str(tmp_path / "old"))
    get_settings.cache_clear()
    common.note_new_data_folder()
    assert capsys.readouterr().err == ""


def test_a_configured_database_url_needs_no_data_folder_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("IMPARTIAL_DATA_DIR", str(tmp_path / "unused"))
    monkeypatch.setenv("IMPARTIAL_DATABASE_URL", "postgresql://elsewhere/impartial")
    get_settings.cache_clear()
    common.note_new_data_folder()
    assert capsys.readouterr().err == ""


def test_db_status_shows_the_data_folder_in_use(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMPARTIAL_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["db", "status"])
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert f"folder:   {tmp_path}" in result.output
    assert "server:   PostgreSQL" in result.output
