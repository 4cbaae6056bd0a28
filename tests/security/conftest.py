"""The attacks as tests: each one is a request or command that used to succeed and now fails.

The review app fixtures are the web tests' own."""

from tests.web.conftest import _app, browser, chromium, live_server, page, web_app  # noqa: F401
