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
