"""The generated Alertmanager configuration: amtool accepts it, every severity x protection
level routes to its level and its escalation, and a real Alertmanager on loopback shows the
inhibitions and a persisting EMERGENCY reaching the second level within the delay (while
one that ends sooner never does)."""

from __future__ import annotations

import itertools
import json
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from trousseau.ops.routes import LEVELS, alertmanager_yaml
from trousseau.settings import ReceiverSettings

AMTOOL = shutil.which("amtool")
ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
needs_amtool = pytest.mark.skipif(
    AMTOOL is None, reason="amtool not found: apt-get install prometheus-alertmanager"
)


def _receivers(tmp_path: Path, hook: str = "http://127.0.0.1:9") -> list[ReceiverSettings]:
    key = tmp_path / "pagerduty.key"
    key.write_text("not-a-real-key\n")
    return [
        ReceiverSettings(name="pager", kind="pagerduty", severities=("emergency",),
                         routing_key_file=key),
        ReceiverSettings(name="em", kind="webhook", severities=("emergency",),
                         url=f"{hook}/emergency"),
        ReceiverSettings(name="cr", kind="webhook", severities=("critical",),
                         url=f"{hook}/critical"),
        ReceiverSettings(name="wa", kind="webhook", severities=("warning",),
                         url=f"{hook}/warning"),
        ReceiverSettings(name="boss", kind="webhook", severities=(), escalation=True,
                         url=f"{hook}/escalation"),
    ]  # fmt: skip


@needs_amtool
@pytest.mark.parametrize("with_receivers", [False, True])
def test_amtool_accepts_the_config(tmp_path, with_receivers) -> None:
    config = tmp_path / "alertmanager.yml"
    receivers = _receivers(tmp_path) if with_receivers else []
    config.write_text(alertmanager_yaml(receivers, {"emergency": 15, "critical": 30}))
    done = subprocess.run([AMTOOL, "check-config", str(config)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@needs_amtool
def test_every_severity_and_protection_level_routes_to_its_level_and_escalation(tmp_path) -> None:
    config = tmp_path / "alertmanager.yml"
    config.write_text(alertmanager_yaml(_receivers(tmp_path), {}))
    protections = ("normal", "raised", "below-maximum", "maximum")
    for severity, protection in itertools.product(LEVELS, protections):
        expected = f"trousseau-{severity},trousseau-{severity}-escalated"
        done = subprocess.run(
            [AMTOOL, "config", "routes", "test", f"--config.file={config}",
             f"--verify.receivers={expected}", f"severity={severity}",
             f"protection={protection}", "alertname=Any"],
            capture_output=True, text=True,
        )  # fmt: skip
        assert done.returncode == 0, (severity, protection, done.stdout + done.stderr)
    unknown = subprocess.run(
        [AMTOOL, "config", "routes", "test", f"--config.file={config}",
         "--verify.receivers=trousseau-unrouted", "severity=info"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert unknown.returncode == 0, unknown.stdout


class _Hooks(BaseHTTPRequestHandler):
    received: list[tuple[float, str, list[dict]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Hooks.received.append((time.monotonic(), self.path, body["alerts"]))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _post(am: str, alerts: list[dict]) -> None:
    request = urllib.request.Request(
        f"{am}/api/v2/alerts", data=json.dumps(alerts).encode(),
        headers={"Content-Type": "application/json"}, method="POST",
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200


def _alert(name: str, severity: str, ends_in: float = 3600) -> dict:
    now = datetime.now(UTC)
    return {
        "labels": {"alertname": name, "severity": severity, "protection": "maximum"},
        "annotations": {"summary": name},
        "startsAt": now.isoformat(),
        "endsAt": (now + timedelta(seconds=ends_in)).isoformat(),
    }


@pytest.mark.skipif(ALERTMANAGER is None, reason="apt-get install prometheus-alertmanager")
def test_a_real_alertmanager_inhibits_and_escalates(tmp_path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hooks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Hooks.received = []
    hook = f"http://127.0.0.1:{server.server_address[1]}"
    config = tmp_path / "alertmanager.yml"
    delay = 5.0
    config.write_text(alertmanager_yaml(_receivers(tmp_path, hook)[1:], {"emergency": delay / 60}))
    port = _port()
    am = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [ALERTMANAGER, f"--config.file={config}", f"--storage.path={tmp_path / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{am}/-/ready", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        started = time.monotonic()
        _post(am, [
            _alert("SameDayLate", "emergency"),
            _alert("SameDayLate", "critical"),
            _alert("SameDayLate", "warning"),
            _alert("Blip", "emergency", ends_in=2),  # over before the escalation delay
        ])  # fmt: skip
        # Alertmanager marks inhibitions as it evaluates them, a moment after the post:
        # asked at once, the lower severities can read as not (yet) inhibited
        wanted = {"emergency": False, "critical": True, "warning": True}
        settle = time.monotonic() + 5
        while True:
            with urllib.request.urlopen(f"{am}/api/v2/alerts", timeout=5) as response:
                alerts = json.loads(response.read())
            inhibited = {
                a["labels"]["severity"]: bool(a["status"]["inhibitedBy"])
                for a in alerts
                if a["labels"]["alertname"] == "SameDayLate"
            }
            if inhibited == wanted or time.monotonic() > settle:
                break
            time.sleep(0.1)
        assert inhibited == wanted
        deadline = started + delay + 15
        while time.monotonic() < deadline and not any(
            p == "/escalation" for _, p, _ in _Hooks.received
        ):
            time.sleep(0.2)
        time.sleep(2)
    finally:
        process.terminate()
        process.wait(timeout=10)
        server.shutdown()
    by_path: dict[str, list[tuple[float, list[dict]]]] = {}
    for at, path, alerts in _Hooks.received:
        by_path.setdefault(path, []).append((at - started, alerts))
    first = by_path["/emergency"][0]
    assert first[0] < delay, "the first level is told at once"
    escalated = by_path["/escalation"]
    assert delay - 1 <= escalated[0][0] <= delay + 10, escalated[0][0]
    names = {
        a["labels"]["alertname"]
        for _, alerts in escalated
        for a in alerts
        if a["status"] == "firing"
    }
    assert names == {"SameDayLate"}, "only the persisting EMERGENCY reaches the second level"
    told = {a["labels"]["severity"] for p in ("/critical", "/warning") for _, alerts in
            by_path.get(p, []) for a in alerts}  # fmt: skip
    assert told == set(), "the EMERGENCY silenced its own CRITICAL and WARNING"


def test_the_committed_default_config_is_the_generators() -> None:
    committed = Path(__file__).parents[2] / "deploy" / "alertmanager" / "alertmanager.yml"
    assert committed.read_text(encoding="utf-8") == alertmanager_yaml(
        (), {"emergency": 15.0, "critical": 30.0, "warning": 240.0}
    ), "regenerate it: trousseau ops routes --out deploy/alertmanager/alertmanager.yml"


def test_a_webhook_url_with_credentials_is_refused() -> None:
    with pytest.raises(ValueError, match="carries credentials"):
        ReceiverSettings(name="x", kind="webhook", url="https://user:pw@hooks.example/x")
    with pytest.raises(ValueError, match="needs routing_key_file"):
        ReceiverSettings(name="x", kind="pagerduty")
