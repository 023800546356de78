"""Request bodies: held back until their route may have them, and bounded in size.

FastAPI reads (and parses) a route's body before it solves the route's dependencies, so the
API key was checked only once the whole body was in memory: 150 MB of JSON without a key took
a server from 242 MB to 657 MB before its 401. `BodyGate` sits between the server and the app
as plain ASGI and answers the app's first read of a body itself:

- `before_body` runs first (the app's: the key of a route that takes one, `auth.key_first`):
  the error it raises is the answer, and not one byte of the body is read;
- a body larger than `limit` (`web.max_body_bytes`) is a 413 as soon as its Content-Length
  says so or, chunked, as soon as the bytes that arrived pass it; the rest is never read.

Uploads (the single-request upload, tus creation and chunks) stream their bodies to the spool
and bound them by `web.max_upload_bytes` and the upload's announced length: their endpoints
are marked `own_body_limit`. The gate speaks at the first read, not on arrival, because only
then has the router matched the route whose rules apply (routing reads no body). Once it has
answered, the app is told the client left, and what the app still sends is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from trousseau.errors import TrousseauError
from trousseau.web.errors import BodyTooLarge, trousseau_error_response

BeforeBody = Callable[[Scope], Awaitable[None]]
"""What must hold before a route reads its body; it raises a TrousseauError when it does not."""

F = TypeVar("F", bound=Callable[..., Any])

_OWN_LIMIT = "_trousseau_own_body_limit"
_DISCONNECT: Message = {"type": "http.disconnect"}
_DIGITS = re.compile(r"[0-9]+", re.ASCII)
_HUGE = 2**63
"""A Content-Length longer than 19 digits: larger than any limit (int() is never asked)."""


def own_body_limit(endpoint: F) -> F:
    """Mark an endpoint that streams its body and bounds it itself (uploads): the gate counts
    nothing for it (`before_body` still runs)."""
    setattr(endpoint, _OWN_LIMIT, True)
    return endpoint


def body_limit(scope: Scope, limit: int) -> int | None:
    """The limit on the body of the route matched in `scope`; None when it has its own."""
    endpoint = getattr(scope.get("route"), "endpoint", None)
    return None if getattr(endpoint, _OWN_LIMIT, False) else limit


def too_large(limit: int) -> BodyTooLarge:
    return BodyTooLarge(
        f"the request body is larger than the {limit}-byte limit of this route: nothing of it "
        "was kept; send less (photos go to the upload routes). The server's web.max_body_bytes "
        "sets the limit"
    )


def declared_length(scope: Scope) -> int | None:
    """The Content-Length of the request, None when absent (chunked) or not a number."""
    value = Headers(scope=scope).get("content-length")
    if value is None or not _DIGITS.fullmatch(value):
        return None
    digits = value.lstrip("0")
    return int(digits or "0") if len(digits) <= 19 else _HUGE


class BodyGate:
    """Holds each request's body back until `before_body` passes, and bounds it by `limit`."""

    def __init__(self, app: ASGIApp, *, limit: int, before_body: BeforeBody) -> None:
        self.app = app
        self.limit = limit
        self.before_body = before_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await _Passage(self, scope, receive, send).run()


class _Passage:
    """One request through the gate: opened at the app's first read, or answered by the gate."""

    def __init__(self, gate: BodyGate, scope: Scope, receive: Receive, send: Send) -> None:
        self.gate = gate
        self.scope = scope
        self._receive = receive
        self._send = send
        self.opened = False
        self.limit: int | None = None
        self.received = 0
        self.started = False
        self.answered = False
        self.ended = False

    async def run(self) -> None:
        try:
            await self.gate.app(self.scope, self.receive, self.send)
        except ClientDisconnect:
            if not self.answered:  # the client did leave: not ours to hide
                raise

    async def receive(self) -> Message:
        if self.ended:
            return _DISCONNECT
        if not self.opened:
            refusal = await self._open()
            if refusal is not None:
                return await self._answer(refusal)
        message = await self._receive()
        if message["type"] == "http.request" and self.limit is not None:
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                return await self._answer(too_large(self.limit))
        return message

    async def send(self, message: Message) -> None:
        if self.answered:
            return  # the gate answered; the app's reply to the "disconnect" goes nowhere
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)

    async def _open(self) -> TrousseauError | None:
        """The refusal of this body before any of it is read, or None (then it flows)."""
        try:
            await self.gate.before_body(self.scope)
        except TrousseauError as exc:
            return exc
        self.opened = True  # only once the check is done: a cancelled read checks again
        self.limit = body_limit(self.scope, self.gate.limit)
        declared = declared_length(self.scope)
        if self.limit is not None and declared is not None and declared > self.limit:
            return too_large(self.limit)
        return None

    async def _answer(self, refusal: TrousseauError) -> Message:
        """End the body, and send the refusal unless the app's response already started."""
        self.ended = True
        if not self.started:
            self.started = self.answered = True
            await trousseau_error_response(refusal)(self.scope, self._empty, self._send)
        return _DISCONNECT

    async def _empty(self) -> Message:
        return _DISCONNECT
