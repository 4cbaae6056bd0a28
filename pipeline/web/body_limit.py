"""The request body size limit, enforced before anything parses or buffers a body.

A plain ASGI middleware (an ``@app.middleware("http")`` function would see the request only
through Starlette's wrapper): a declared ``Content-Length`` over the limit is answered 413 before
the app runs; a body without one (chunked) is counted as the app pulls it from ``receive()``, and
the pull that passes the limit raises :class:`BodyTooLarge`, a 413 that the app's error handlers
answer like any other. Either way at most the limit plus one chunk is read, and the 413 closes
the connection, so the server does not go on reading the rest.

The app adds it before any other middleware, so that it sits next to the routes: a middleware
between them that runs the app in a task group would hand FastAPI an exception group instead,
which it answers 400.
"""

from __future__ import annotations

import json

from fastapi import HTTPException
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CLOSE = (b"connection", b"close")


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body over {limit} bytes: send less")


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and not declared.isdigit():
            await _answer(scope, send, 400, "Content-Length is not a number of bytes")
            return
        if declared is not None and int(declared) > self.max_bytes:
            await _answer(scope, send, 413, str(BodyTooLarge(self.max_bytes).detail))
            return

        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if message["status"] == 413:  # the rest of the body is not worth reading
                    message = {**message, "headers": [*message.get("headers", []), CLOSE]}
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLarge as exc:  # raised where no handler of the app was in the way
            if not started:
                await _answer(scope, send, 413, str(exc.detail))


async def _answer(scope: Scope, send: Send, status: int, message: str) -> None:
    if scope["path"].startswith("/api/"):
        body, media_type = json.dumps({"detail": message}).encode(), b"application/json"
    else:
        body, media_type = message.encode(), b"text/plain; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", media_type),
                (b"content-length", str(len(body)).encode()),
                CLOSE,
                (b"x-content-type-options", b"nosniff"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
