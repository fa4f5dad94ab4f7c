"""Request limits, same-origin checks, browser-safety headers and an error shield, as plain ASGI middleware.

The body limit is checked twice: against Content-Length before anything is read, and
against the bytes actually received (a client may send no length, or lie about it).
A request that changes state (POST, PUT, PATCH, DELETE) is refused when the browser says it
comes from another site: any page can send a form here without a preflight. An exception
that escapes a route is logged by type and place only, never with its message (it may
quote a request body), and answered with a JSON 500.
"""

from __future__ import annotations

import json
import logging
import traceback
from typing import Any

log = logging.getLogger("intent.web")

Scope = dict[str, Any]
Message = dict[str, Any]
ASGIApp = Any

#: The page uses only its own files: no CDN, no inline script, no framing by other sites.
SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        b"connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]


def too_large_message(size: int | None, limit: int) -> str:
    got = f"The request is {size / 1e6:.1f} MB" if size is not None else "The request is too large"
    return (
        f"{got}; the limit is {limit / 1e6:.0f} MB. Fix: classify the file with `intent classify` in a "
        "terminal, or start the server with a larger --max-upload-mb."
    )


class _TooLarge(Exception):
    pass


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await _send_413(send, too_large_message(int(length), self.max_bytes))
            return
        received = 0
        exceeded = started = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            message: Message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise _TooLarge
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if exceeded:  # the app answered the aborted read its own way (e.g. 400): answer 413 instead
                if message["type"] == "http.response.start" and not started:
                    started = True
                    await _send_413(send, too_large_message(None, self.max_bytes))
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracked_send)
        except _TooLarge:
            if not started:
                await _send_413(send, too_large_message(None, self.max_bytes))


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + SECURITY_HEADERS
            await send(message)

        await self.app(scope, receive, with_headers)


#: Methods that only read: allowed from anywhere the host check lets through.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: What a browser's Sec-Fetch-Site says for the page's own requests, and for one typed in the address bar.
SAME_SITE_FETCH = frozenset({b"same-origin", b"none"})


class SameOriginMiddleware:
    """Refuse state-changing requests that a browser marks as coming from another site (HTTP 403, ``cross_site``).

    ``Sec-Fetch-Site`` must be ``same-origin`` or ``none`` when sent, and ``Origin``, when sent,
    must be this server's own (scheme and Host). Clients that send neither (curl, scripts) are
    not browsers acting for another site, and pass.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS:
            headers = dict(scope["headers"])
            site = headers.get(b"sec-fetch-site")
            origin = headers.get(b"origin")
            own = f"{scope.get('scheme', 'http')}://".encode() + headers.get(b"host", b"")
            if (site is not None and site not in SAME_SITE_FETCH) or (origin is not None and origin != own):
                await _send_json(
                    send,
                    403,
                    "Refused: this request came from a page of another site. The page and the API accept uploads "
                    "and changes only from their own page (or from tools such as curl).",
                    "cross_site",
                )
                return
        await self.app(scope, receive, send)


class ErrorShieldMiddleware:
    """The last line: an unexpected exception is logged without its message and answered with JSON 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked_send)
        except Exception as exc:
            where = "".join(traceback.format_tb(exc.__traceback__))
            method, path = scope["method"], scope["path"]
            log.error("%s %s failed: %s (message withheld)\n%s", method, path, type(exc).__name__, where)
            if not started:
                await _send_json(send, 500, "Internal error; see the server log.", "internal")


async def _send_413(send: Any, detail: str) -> None:
    await _send_json(send, 413, detail, "too_large")


async def _send_json(send: Any, status: int, detail: str, code: str) -> None:
    body = json.dumps({"detail": detail, "code": code}).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
