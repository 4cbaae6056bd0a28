"""``impartial serve``: the review web app (imported inside the command: FastAPI is not loaded
for ``impartial --help``)."""

from __future__ import annotations

import ipaddress

import typer

from pipeline.cli.common import console, database_errors
from pipeline.i18n import _


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
) -> None:
    """Serve the review web app (pages and the /api JSON API).

    The session cookie is marked Secure unless the app listens on a loopback address (set
    IMPARTIAL_COOKIE_HTTPS_ONLY to choose); put a TLS proxy in front of any other address, and
    name it in IMPARTIAL_TRUSTED_PROXIES so that sign-ins are counted per client, not per proxy.
    X-Forwarded-For from any other peer is ignored.

    Example: impartial serve --host 127.0.0.1 --port 8000
    """
    import uvicorn

    from pipeline.web import create_app

    with database_errors():
        app = create_app(https_only=not is_loopback(host))
    console.print(
        _("review app on %(url)s (API docs at /api/docs)") % {"url": f"http://{host}:{port}/"}
    )
    # The app itself reads X-Forwarded-For, from IMPARTIAL_TRUSTED_PROXIES only; uvicorn's own
    # reading would trust 127.0.0.1 (or $FORWARDED_ALLOW_IPS) by default.
    uvicorn.run(app, host=host, port=port, proxy_headers=False, server_header=False)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
