"""`trousseau status` says which imaging backend `auto` chose here, and why."""

from __future__ import annotations

import json

from .conftest import Cli


def test_status_reports_the_imaging_backend_and_why(cli: Cli):
    report = json.loads(cli.run("status", "--json").stdout)
    backend = report["imaging_backend"]
    assert backend["setting"] == "auto" and backend["usable"] is True
    assert backend["chosen"] in ("cpu", "gpu") and backend["reason"]
    text = " ".join(cli.run("status").stdout.split())
    assert f"imaging backend: {backend['chosen']} (auto: " in text


def test_status_says_when_a_forced_gpu_is_unusable(cli: Cli):
    report = json.loads(cli.run("status", "--json", TROUSSEAU_IMAGING__BACKEND="gpu").stdout)[
        "imaging_backend"
    ]
    if report["usable"]:  # a machine with a usable GPU: nothing to report
        assert report["chosen"] == "gpu"
        return
    assert report["chosen"] == "gpu" and report["reason"]
    text = " ".join(cli.run("status", TROUSSEAU_IMAGING__BACKEND="gpu").stdout.split())
    assert "imaging backend: gpu (gpu: unusable: " in text
