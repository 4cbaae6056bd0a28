"""The review app under test: in process (``browser``: a TestClient that signs in and sends
the CSRF token), and for real on 127.0.0.1 (uvicorn in a thread) driven by Debian's headless
Chromium (``page``)."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from pipeline.config import Settings
from pipeline.web import create_app
from tests.factories import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
TEST_KEY = "test-key-4fJq9Zr2Lw8Vn5Tb7Xc1Hd6Mk3Py0Sg"  # signs the test apps' cookies


def web_settings(**overrides: Any):
    values = {
        "secret_key": TEST_KEY,
        "cookie_https_only": False,
        "login_ip_limit": "10000/60",
        "login_account_limit": "10000/60",
        **overrides,
    }
    return Settings(**values)


class Browser:
    """A signed-in (or anonymous) TestClient that knows its CSRF token."""

    def __init__(self, app: Any) -> None:
        self.client = TestClient(app, follow_redirects=False)
        self.csrf = ""

    def refresh_csrf(self) -> str:
        page = self.client.get("/login")
        self.csrf = CSRF_RE.search(page.text).group(1)
        return self.csrf

    def login(self, email: str, password: str = PASSWORD) -> Any:
        self.refresh_csrf()
        response = self.client.post(
            "/login", data={"email": email, "password": password, "csrf_token": self.csrf}
        )
        if response.status_code == 303:
            self.csrf = self.client.get("/api/me").json()["csrf_token"]
        return response

    def form(self, path: str, **data: Any) -> Any:
        return self.client.post(path, data={"csrf_token": self.csrf, **data})

    def api(self, path: str, body: dict | None = None) -> Any:
        return self.client.post(path, json=body or {}, headers={"X-CSRF-Token": self.csrf})


@pytest.fixture(scope="session")
def _app(database_url: str):
    """One app for the in-process tests (building one costs about 0.2 s); its login rate limit
    is far above what the tests send. Tests of the limits build their own."""
    return create_app(web_settings())


@pytest.fixture
def web_app(_app, engine):
    """The app on an empty test database."""
    return _app


@pytest.fixture
def browser(web_app) -> Callable[[], Browser]:
    return lambda: Browser(web_app)


@pytest.fixture
def live_server(engine) -> Iterator[str]:
    """The app served by uvicorn on an ephemeral port; stopped after the test."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)  # listening before the thread starts: no need to wait for startup
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(web_settings()), log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)
    sock.close()


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "install Debian's chromium: apt-get install -y chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium) -> Iterator[object]:
    context = chromium.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
