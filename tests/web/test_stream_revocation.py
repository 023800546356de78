"""An open progress stream ends soon after its key is revoked, not at the end of its lifetime."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import anyio
import httpx
import pytest

from trousseau.web.auth import KeyWatch
from trousseau.web.dashboard.progress import StreamTiming, progress_events

from .conftest import Api, Live
from .test_progress import _events

CHECK_EVERY = 0.2


class Ticks:
    """A monotonic clock moved by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_watch_reads_the_key_only_when_a_check_is_due() -> None:
    ticks, answers, asked = Ticks(), [True, False], []

    def still_valid() -> bool:
        asked.append(ticks.now)
        return answers[len(asked) - 1]

    watch = KeyWatch(still_valid, every=5.0, now=ticks)

    async def scenario() -> list[bool]:
        seen = [await watch.revoked()]  # just opened: nothing due
        ticks.now += 4.9
        seen.append(await watch.revoked())
        ticks.now += 0.1
        seen.append(await watch.revoked())  # due: read, still valid
        ticks.now += 1
        seen.append(await watch.revoked())  # not due again yet
        ticks.now += 5
        seen.append(await watch.revoked())  # due: read, revoked
        return seen

    assert anyio.run(scenario) == [False, False, False, False, True]
    assert asked == [105.0, 111.0]


def test_a_stream_ends_with_an_unauthorized_event_once_its_key_is_revoked() -> None:
    valid = {"now": True}
    reads: list[int] = []

    def read() -> list:
        reads.append(1)
        if len(reads) == 3:
            valid["now"] = False
        return []

    async def connected() -> bool:
        return False

    watch = KeyWatch(lambda: valid["now"], every=0.0)
    timing = StreamTiming(interval=0.01, keepalive=100.0, lifetime=100.0)

    async def collect() -> list:
        return [event async for event in progress_events(read, timing, connected, watch=watch)]

    events = anyio.run(collect)
    assert len(reads) == 3
    assert events[-1].event == "unauthorized"
    assert "revoked" in events[-1].data.error.message


def _read_until_end(events: Iterator[tuple], within: float) -> list:
    """The events of a stream until it ends; fails when it outlasts `within` seconds."""
    started, seen = time.monotonic(), []
    for event in events:
        seen.append(event)
        assert time.monotonic() - started < within, f"still streaming after {within} s: {seen}"
    return seen


@pytest.mark.parametrize("route", ["api", "dashboard"])
def test_revoking_the_key_ends_its_open_streams(
    api: Api, studio: dict[str, str], serve: Callable[..., Live], route: str
) -> None:
    live = serve(progress_key_check_seconds=CHECK_EVERY, progress_keepalive_seconds=0.2)
    headers = api.key("studio-a")
    token = headers["Authorization"].split()[1]
    if route == "api":
        url, kwargs = f"{live.url}/api/v1/weddings/smith-jones/progress", {"headers": headers}
    else:
        url, kwargs = f"{live.url}/dashboard/progress", {"cookies": {"trousseau_key": token}}
    with httpx.stream("GET", url, timeout=10, **kwargs) as response:
        assert response.status_code == 200
        events = _events(response.iter_lines())
        first = next(events)
        assert first[0] in ("progress", "comment")
        time.sleep(3 * CHECK_EVERY)  # several checks while the key is valid: still open
        api.revoke(headers)
        revoked_at = time.monotonic()
        rest = _read_until_end(events, within=5.0)
    assert time.monotonic() - revoked_at < 5.0
    kind, data = rest[-1]
    assert kind == "unauthorized"
    assert data["error"]["code"] == "unauthorized" and "revoked" in data["error"]["message"]
    again = httpx.get(url, timeout=10, **kwargs)
    assert again.status_code == 401


def test_a_stream_of_a_valid_key_is_not_cut(api: Api, studio, serve) -> None:
    live = serve(progress_key_check_seconds=CHECK_EVERY, progress_lifetime_seconds=1.5)
    url = f"{live.url}/api/v1/weddings/smith-jones/progress"
    with httpx.stream("GET", url, headers=studio, timeout=10) as response:
        events = _read_until_end(_events(response.iter_lines()), within=5.0)
    assert events[-1] == ("comment", "stream lifetime reached: reconnect")
    assert all(kind != "unauthorized" for kind, _ in events)
