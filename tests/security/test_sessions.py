"""Forged and replayed sessions: a weak signing key stops the app from starting, and a
session ends for good on sign-out, deactivation, role change and password reset."""

from __future__ import annotations

import json
import stat
import threading
from base64 import b64encode
from pathlib import Path

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import select
from typer.testing import CliRunner

from pipeline.cli import app as cli
from pipeline.config import get_settings
from pipeline.db.models import AppUser, AuditEvent
from pipeline.web import create_app
from pipeline.web.signing_key import KEY_FILE, SigningKeyError, signing_key
from tests.factories import PASSWORD
from tests.web.conftest import Browser, web_settings

ROOT = Path(__file__).resolve().parents[2]
COOKIE = "impartial_session"
runner = CliRunner()


def _example_values() -> list[str]:
    lines = (ROOT / ".env.example").read_text().splitlines()
    return sorted({line.split("=", 1)[1] for line in lines if "=" in line and line[0] != "#"})


def forge(key: str, **session: object) -> str:
    """A session cookie as Starlette's middleware signs it, with ``key``."""
    data = b64encode(json.dumps(session).encode())
    return TimestampSigner(key).sign(data).decode()


@pytest.mark.parametrize(
    "key",
    [
        "",
        "   ",
        "a-short-key",
        "change-me",
        "changeme",
        "secret",
        "please-change",
        "CHANGE-ME-change-me-CHANGE-ME-change-me",  # long enough, still the placeholder
        "your_secret_key_goes_here_0123456789",
        "x" * 48,
        *_example_values(),
    ],
)
def test_the_app_refuses_to_start_on_a_weak_or_placeholder_key(key, tmp_path) -> None:
    with pytest.raises(SigningKeyError, match="IMPARTIAL_SECRET_KEY") as refused:
        create_app(web_settings(secret_key=key, data_dir=tmp_path))
    assert "secrets.token_urlsafe" in str(refused.value)  # and it says how to make a good one
    assert not (tmp_path / KEY_FILE).exists()


def test_impartial_serve_names_the_setting_and_exits_on_the_placeholder(monkeypatch) -> None:
    monkeypatch.setenv("IMPARTIAL_SECRET_KEY", "change-me")
    get_settings.cache_clear()
    try:
        result = runner.invoke(cli, ["serve", "--port", "1"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert "IMPARTIAL_SECRET_KEY" in result.output and "placeholder" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("content", ["", "\n", "short-key-from-a-torn-write"])
def test_an_empty_or_short_key_file_stops_the_start_and_is_kept(content, tmp_path) -> None:
    path = tmp_path / KEY_FILE
    path.write_text(content)
    path.chmod(0o600)
    with pytest.raises(SigningKeyError, match=str(path)):
        create_app(web_settings(secret_key=None, data_dir=tmp_path))
    assert path.read_text() == content  # not silently replaced: that would sign everyone out


def test_a_key_file_others_can_read_stops_the_start(tmp_path) -> None:
    signing_key(web_settings(secret_key=None, data_dir=tmp_path))
    path = tmp_path / KEY_FILE
    path.chmod(0o644)
    with pytest.raises(SigningKeyError, match="chmod 600"):
        signing_key(web_settings(secret_key=None, data_dir=tmp_path))


def test_the_generated_key_is_private_whole_and_the_same_for_every_process(tmp_path) -> None:
    settings = web_settings(secret_key=None, data_dir=tmp_path / "data")
    barrier = threading.Barrier(8)
    keys: list[str] = []
    errors: list[Exception] = []

    def start() -> None:
        barrier.wait()
        try:
            keys.append(signing_key(settings))
        except Exception as exc:  # a reader that saw an empty or torn file
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    path = tmp_path / "data" / KEY_FILE
    assert errors == [] and len(set(keys)) == 1 and len(keys[0]) >= 64
    assert path.read_text() == keys[0]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == [KEY_FILE]  # no temporary file left


def test_a_cookie_forged_with_the_placeholder_key_is_not_a_session(db, make, tmp_path) -> None:
    admin = make.user("admin")
    db.commit()
    app = create_app(web_settings(secret_key=None, data_dir=tmp_path))
    client = Browser(app)
    for key in ("change-me", ""):
        client.client.cookies.set(COOKIE, forge(key, uid=admin.id, sv=0))
        page = client.client.get("/admin/users")
        assert page.status_code == 303 and page.headers["location"] == "/login"
        assert client.client.get("/api/me").status_code == 401


def _signed_in(browser, user: AppUser) -> tuple[Browser, str]:
    client = browser()
    assert client.login(user.email).status_code == 303
    return client, client.client.cookies[COOKIE]


def _replay(browser, cookie: str) -> int:
    thief = browser()
    thief.client.cookies.set(COOKIE, cookie)
    return thief.client.get("/api/queue/stats").status_code


def test_a_cookie_copied_before_sign_out_is_dead_after_it(db, make, browser) -> None:
    reviewer = make.user("reviewer", person=make.person())
    db.commit()
    client, cookie = _signed_in(browser, reviewer)
    assert _replay(browser, cookie) == 200
    assert client.form("/logout").status_code == 303
    assert _replay(browser, cookie) == 401
    thief = browser()
    thief.client.cookies.set(COOKIE, cookie)
    page = thief.client.get("/queue")
    assert page.status_code == 303 and page.headers["location"] == "/login"
    assert client.login(reviewer.email).status_code == 303  # signing in again works


@pytest.mark.parametrize(
    ("command", "stdin"),
    [
        (["users", "deactivate"], None),
        (["users", "set-role", "{email}", "auditor"], None),
        (["users", "reset-password", "{email}", "--password-stdin"], "a brand new passphrase\n"),
    ],
)
def test_an_admin_command_ends_the_users_open_sessions(command, stdin, db, make, browser):
    reviewer = make.user("reviewer", person=make.person())
    db.commit()
    _, cookie = _signed_in(browser, reviewer)
    assert _replay(browser, cookie) == 200
    args = [part.format(email=reviewer.email) for part in command]
    if "{email}" not in command:
        args.append(reviewer.email)
    result = runner.invoke(cli, args, input=stdin)
    assert result.exit_code == 0, result.output
    assert _replay(browser, cookie) == 401
    db.expire_all()
    assert db.get(AppUser, reviewer.id).session_version == 1


def test_a_password_reset_lets_the_new_password_in_and_keeps_the_old_one_out(db, make, browser):
    reviewer = make.user("reviewer", person=make.person())
    db.commit()
    result = runner.invoke(
        cli,
        ["users", "reset-password", reviewer.email, "--password-stdin"],
        input="a brand new passphrase\n",
    )
    assert result.exit_code == 0, result.output
    assert browser().login(reviewer.email, PASSWORD).status_code == 401
    assert browser().login(reviewer.email, "a brand new passphrase").status_code == 303


def test_the_last_active_admin_can_be_neither_deactivated_nor_demoted(db, make, browser):
    admin = make.user("admin")
    db.commit()
    for args in (["deactivate", admin.email], ["set-role", admin.email, "auditor"]):
        refused = runner.invoke(cli, ["users", *args])
        assert refused.exit_code == 2 and "last active admin" in refused.output
    client = browser()
    client.login(admin.email)
    page = client.form(f"/admin/users/{admin.id}/deactivate")
    assert page.status_code == 400 and "last active admin" in page.text
    db.expire_all()
    kept = db.get(AppUser, admin.id)
    assert (kept.active, kept.role, kept.session_version) == (True, "admin", 0)
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.action.like("user.%")))
    assert "user.deactivate" not in actions.all()
    second = make.user("admin")
    db.commit()
    assert runner.invoke(cli, ["users", "deactivate", admin.email]).exit_code == 0
    refused = runner.invoke(cli, ["users", "set-role", second.email, "auditor"])
    assert refused.exit_code == 2 and "last active admin" in refused.output
