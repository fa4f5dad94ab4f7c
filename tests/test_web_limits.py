"""The page's ASGI middleware on its own, over a tiny app: body limits (declared and actual), same-origin
checks, security headers and the error shield. Fast: no model, no server (`make mutate` runs these)."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest

from intent.web import limits
from intent.web.limits import (
    SECURITY_HEADERS,
    BodyLimitMiddleware,
    ErrorShieldMiddleware,
    SameOriginMiddleware,
    SecurityHeadersMiddleware,
    too_large_message,
)

Message = dict[str, Any]


def scope(method: str = "POST", headers: dict[str, str] | None = None, kind: str = "http") -> dict[str, Any]:
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    return {"type": kind, "method": method, "path": "/api/x", "scheme": "http", "headers": raw}


def run(app: Any, scope_: dict[str, Any], body: list[bytes] | None = None) -> list[Message]:
    """Call ``app`` with the body in ``body``'s chunks; return what it sent."""
    chunks = list(body or [b""])
    sent: list[Message] = []

    async def receive() -> Message:
        chunk = chunks.pop(0) if chunks else b""
        return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(app(scope_, receive, send))
    return sent


def status_and_json(sent: list[Message]) -> tuple[int, dict[str, Any]]:
    start, body = sent[0], b"".join(m.get("body", b"") for m in sent[1:])
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    headers = dict(start["headers"])
    assert headers[b"content-type"] == b"application/json" and headers[b"content-length"] == str(len(body)).encode()
    return start["status"], json.loads(body)


class Echo:
    """Reads the whole body, then answers 200 with its length (or ``on_error`` when reading failed, and
    then re-raises the error when ``reraise``, as Starlette's error middleware does)."""

    def __init__(self, on_error: int | None = None, reraise: bool = False) -> None:
        self.on_error, self.reraise, self.calls = on_error, reraise, 0
        self.seen: list[Any] = []

    async def __call__(self, scope_: dict[str, Any], receive: Any, send: Any) -> None:
        self.calls += 1
        self.seen.append((scope_, receive, send))
        size = 0
        try:
            while True:
                message = await receive()
                size += len(message.get("body", b""))
                if not message.get("more_body"):
                    break
        except Exception:
            if self.on_error is None:
                raise
            await send({"type": "http.response.start", "status": self.on_error, "headers": []})
            await send({"type": "http.response.body", "body": b"app's own answer"})
            if self.reraise:
                raise
            return
        await send({"type": "http.response.start", "status": 200, "headers": [(b"x-app", b"1")]})
        await send({"type": "http.response.body", "body": str(size).encode()})


# ---- the body limit ------------------------------------------------------------------------------


def test_too_large_messages() -> None:
    assert too_large_message(2_500_000, 2_000_000) == (
        "The request is 2.5 MB; the limit is 2 MB. Fix: classify the file with `intent classify` in a terminal, "
        "or start the server with a larger --max-upload-mb."
    )
    assert too_large_message(None, 3_000_000).startswith("The request is too large; the limit is 3 MB. Fix:")
    assert too_large_message(1_050_000, 1_500_000).startswith("The request is 1.1 MB; the limit is 2 MB.")


@pytest.mark.parametrize(("length", "status"), [(100, 200), (101, 413)])
def test_a_declared_length_over_the_limit_is_refused_before_reading(length: int, status: int) -> None:
    app = Echo()
    sent = run(BodyLimitMiddleware(app, 100), scope(headers={"Content-Length": str(length)}), [b"x" * min(length, 100)])
    assert sent[0]["status"] == status
    if status == 413:
        assert app.calls == 0  # nothing was read
        assert status_and_json(sent) == (413, {"detail": too_large_message(101, 100), "code": "too_large"})


@pytest.mark.parametrize(("chunks", "status"), [([b"x" * 60, b"x" * 40], 200), ([b"x" * 60, b"x" * 41], 413)])
def test_the_bytes_received_count_whatever_the_length_says(chunks: list[bytes], status: int) -> None:
    sent = run(BodyLimitMiddleware(Echo(), 100), scope(headers={"Content-Length": "10"}), chunks)
    assert sent[0]["status"] == status
    if status == 200:
        assert sent[1]["body"] == b"100"
    else:
        assert status_and_json(sent) == (413, {"detail": too_large_message(None, 100), "code": "too_large"})


def test_an_app_that_answers_the_aborted_read_itself_gets_413_instead() -> None:
    sent = run(BodyLimitMiddleware(Echo(on_error=400), 10), scope(), [b"x" * 8, b"x" * 8])
    assert status_and_json(sent)[0] == 413 and len(sent) == 2  # the app's own 400 and body never went out


def test_a_length_that_is_not_a_number_is_checked_on_the_bytes() -> None:
    fine = run(BodyLimitMiddleware(Echo(), 10), scope(headers={"Content-Length": "lots"}), [b"x" * 5])
    assert fine[0]["status"] == 200
    sent = run(BodyLimitMiddleware(Echo(), 10), scope(headers={"Content-Length": "-1"}), [b"x" * 11])
    assert sent[0]["status"] == 413


def test_the_limit_leaves_other_traffic_alone() -> None:
    sent = run(BodyLimitMiddleware(Echo(), 1), scope(kind="lifespan"), [b"x" * 50])
    assert sent[0]["status"] == 200


# ---- same origin -----------------------------------------------------------------------------------

CROSS_SITE = [
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},
    {"Origin": "http://evil.example", "Host": "127.0.0.1:8000"},
    {"Origin": "https://127.0.0.1:8000", "Host": "127.0.0.1:8000"},  # another scheme is another origin
    {"Origin": "http://127.0.0.1:8000", "Host": "127.0.0.1:8000", "Sec-Fetch-Site": "cross-site"},
    {"Origin": "null"},
]
SAME_SITE = [
    {},
    {"Sec-Fetch-Site": "same-origin"},
    {"Sec-Fetch-Site": "none"},
    {"Origin": "http://127.0.0.1:8000", "Host": "127.0.0.1:8000"},
    {"Origin": "http://127.0.0.1:8000", "Host": "127.0.0.1:8000", "Sec-Fetch-Site": "same-origin"},
]


@pytest.mark.parametrize("headers", CROSS_SITE)
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_changes_from_another_site_are_refused(headers: dict[str, str], method: str) -> None:
    app = Echo()
    status, body = status_and_json(run(SameOriginMiddleware(app), scope(method, headers)))
    assert (status, body["code"]) == (403, "cross_site") and app.calls == 0
    assert body["detail"].startswith("Refused: this request came from a page of another site.")


@pytest.mark.parametrize("headers", SAME_SITE)
def test_changes_from_the_page_or_a_tool_pass(headers: dict[str, str]) -> None:
    assert run(SameOriginMiddleware(Echo()), scope("POST", headers))[0]["status"] == 200


@pytest.mark.parametrize("method", sorted(limits.SAFE_METHODS))
def test_reading_is_allowed_from_anywhere(method: str) -> None:
    assert run(SameOriginMiddleware(Echo()), scope(method, CROSS_SITE[0]))[0]["status"] == 200
    assert run(SameOriginMiddleware(Echo()), scope("POST", CROSS_SITE[0], kind="websocket"))[0]["status"] == 200


# ---- headers and the error shield ---------------------------------------------------------------------


def test_every_response_carries_the_security_headers() -> None:
    sent = run(SecurityHeadersMiddleware(Echo()), scope("GET"))
    assert sent[0]["headers"] == [(b"x-app", b"1"), *SECURITY_HEADERS]
    assert sent[1] == {"type": "http.response.body", "body": b"0"}
    assert dict(SECURITY_HEADERS)[b"content-security-policy"].startswith(b"default-src 'self';")
    assert run(SecurityHeadersMiddleware(Echo()), scope(kind="lifespan"))[0]["headers"] == [(b"x-app", b"1")]


SECRET = "secret message text " + str(4700 + 11)


class Boom:
    def __init__(self, after_start: bool = False) -> None:
        self.after_start = after_start

    async def __call__(self, scope_: dict[str, Any], receive: Any, send: Any) -> None:
        if self.after_start:
            await send({"type": "http.response.start", "status": 200, "headers": []})
        raise ValueError(SECRET)  # a runtime value: the traceback's source line shows only the name


def test_an_escaped_error_is_a_json_500_logged_without_its_message(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="intent.web"):
        sent = run(ErrorShieldMiddleware(Boom()), scope("POST"))
    assert status_and_json(sent) == (500, {"detail": "Internal error; see the server log.", "code": "internal"})
    (record,) = caplog.records
    assert record.getMessage().startswith("POST /api/x failed: ValueError (message withheld)\n")
    assert "4711" not in caplog.text and "test_web_limits.py" in caplog.text  # where, not what


def test_an_error_after_the_answer_started_sends_nothing_more(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="intent.web"):
        sent = run(ErrorShieldMiddleware(Boom(after_start=True)), scope("GET"))
    assert sent == [{"type": "http.response.start", "status": 200, "headers": []}]
    assert "failed: ValueError" in caplog.text
    with pytest.raises(ValueError):
        run(ErrorShieldMiddleware(Boom()), scope(kind="lifespan"))
    assert run(ErrorShieldMiddleware(Echo()), scope("GET"))[0]["status"] == 200


@pytest.mark.parametrize("middleware", [BodyLimitMiddleware, SecurityHeadersMiddleware, ErrorShieldMiddleware])
def test_other_traffic_reaches_the_app_untouched(middleware: Any) -> None:
    app = Echo()
    wrapped = middleware(app, 1) if middleware is BodyLimitMiddleware else middleware(app)
    lifespan = scope(kind="lifespan")
    run(wrapped, lifespan)
    ((got, receive, send),) = app.seen
    assert got is lifespan and callable(receive) and callable(send)
    assert receive.__name__ == "receive" and send.__name__ == "send"  # the server's own, not wrapped


def test_an_app_that_answers_then_reraises_gets_one_413() -> None:
    sent = run(BodyLimitMiddleware(Echo(on_error=500, reraise=True), 10), scope(), [b"x" * 8, b"x" * 8])
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert status_and_json(sent) == (413, {"detail": too_large_message(None, 10), "code": "too_large"})


class StartsThenReads:
    """Starts its answer, then reads the body (a streaming handler)."""

    async def __call__(self, scope_: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        while (await receive()).get("more_body"):
            pass


def test_a_limit_hit_after_the_answer_started_adds_nothing() -> None:
    sent = run(BodyLimitMiddleware(StartsThenReads(), 10), scope(), [b"x" * 8, b"x" * 8])
    assert sent == [{"type": "http.response.start", "status": 200, "headers": []}]


def test_an_answer_without_headers_gets_the_security_headers() -> None:
    async def bare(scope_: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 204})

    assert run(SecurityHeadersMiddleware(bare), scope("GET"))[0]["headers"] == SECURITY_HEADERS


def test_the_origin_is_compared_with_the_scheme_and_host_of_the_request() -> None:
    https = scope("POST", {"Origin": "https://intent.lan", "Host": "intent.lan"}) | {"scheme": "https"}
    assert run(SameOriginMiddleware(Echo()), https)[0]["status"] == 200
    no_scheme = scope("POST", {"Origin": "http://intent.lan", "Host": "intent.lan"})
    del no_scheme["scheme"]  # a server that does not say: http
    assert run(SameOriginMiddleware(Echo()), no_scheme)[0]["status"] == 200
    no_host = scope("POST", {"Origin": "http://"})
    assert run(SameOriginMiddleware(Echo()), no_host)[0]["status"] == 200
    refused = run(SameOriginMiddleware(Echo()), scope("POST", {"Sec-Fetch-Site": "cross-site"}))
    body = status_and_json(refused)[1]
    assert body["detail"] == (
        "Refused: this request came from a page of another site. The page and the API accept uploads "
        "and changes only from their own page (or from tools such as curl)."
    )


def test_the_logged_traceback_is_the_frames_as_python_prints_them(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="intent.web"):
        run(ErrorShieldMiddleware(Boom()), scope("POST"))
    frames = caplog.records[0].getMessage().split("\n")[1:-1]
    assert frames and all(line.startswith(('  File "', "    ")) for line in frames)
