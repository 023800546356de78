"""Running the real `trousseau` command in a subprocess, as an operator would."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

TROUSSEAU = [sys.executable, "-m", "trousseau"]


@dataclass
class Cli:
    """The CLI bound to one data directory (and the test's catalog URL)."""

    data_dir: Path
    catalog_url: str
    extra_env: dict[str, str]

    def env(self, **overrides: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TROUSSEAU_")}
        env.update(
            TROUSSEAU_DATA_DIR=str(self.data_dir),
            TROUSSEAU_CATALOG_URL=self.catalog_url,
            PYTHONUNBUFFERED="1",
            COLUMNS="200",
            **self.extra_env,
        )
        env.update(overrides)
        return env

    def run(self, *args: str, as_user: int | None = None, timeout: float = 120, **env: str):
        drop = []
        if as_user is not None:
            drop = ["setpriv", f"--reuid={as_user}", f"--regid={as_user}", "--clear-groups"]
        return subprocess.run(
            [*drop, *TROUSSEAU, *args],
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.data_dir.parent,
        )

    def invoke(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        """The command run in this process, ended as `trousseau` ends it (an expected error
        is one line on stderr and its exit code): for tests of what a command does, not of
        its process (start-up, signals), a second's start-up saved per call."""
        from typer.testing import CliRunner

        from trousseau.cli import app
        from trousseau.errors import TrousseauError

        environment = {k: None for k in os.environ if k.startswith("TROUSSEAU_")}
        environment.update(self.env(**env))
        result = CliRunner().invoke(app, list(args), env=environment)
        code, stderr = result.exit_code, result.stderr
        if isinstance(result.exception, TrousseauError):
            code = result.exception.exit_code
            stderr += f"error: {result.exception}\n"
        elif result.exception is not None and not isinstance(result.exception, SystemExit):
            stderr += f"Traceback: {result.exception!r}\n"
        return subprocess.CompletedProcess(list(args), code, result.stdout, stderr)

    def start(self, *args: str, **env: str) -> subprocess.Popen:
        return subprocess.Popen(
            [*TROUSSEAU, *args],
            env=self.env(**env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=self.data_dir.parent,
            start_new_session=True,
        )


@pytest.fixture
def cli(tmp_path: Path, catalog_url: str) -> Cli:
    return Cli(tmp_path / "data", catalog_url, {})


def assert_one_line_error(result, *fragments: str) -> None:
    """An expected failure: non-zero exit, no traceback, the fragments on stderr."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    text = " ".join(result.stderr.split())
    for fragment in fragments:
        assert fragment in text, text
