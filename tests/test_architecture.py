"""DESIGN.md's house rules are import contracts (`[tool.importlinter]` in pyproject.toml) that
`make lint` checks with lint-imports. These tests show that the package keeps them, and that
each kind of contract fails the build on an import planted in a copy of the package.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import pytest
from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

# Contract names, as pyproject.toml spells them.
LAYERS = "Data flows one way: a package imports only the layers below it"
BACKENDS = "The core imports no backend directly: a URL in settings picks it"
GPU = "The GPU stack (torch, nvImageCodec) stays behind imaging.gpu, an optional extra"
CIRCLES = "No import circles between the modules of a package"
CATALOG_FACE = "Others import catalog only through its __init__"
PURE = "Pure cores (policies, planners, detectors) import no I/O"
LICENCES = "No AGPL PDF library (PyMuPDF): trousseau stays usable by closed platforms"

# Each violation: the module planted in the copy, its source, the contract it breaks and a
# line of lint-imports' report that names it.
VIOLATIONS = {
    "catalog imports the web (a layer up)": (
        "catalog/upward.py",
        "import trousseau.web\n",
        LAYERS,
        "trousseau.catalog.upward -> trousseau.web",
    ),
    "the vault imports the catalog (siblings)": (
        "vault/sideways.py",
        "from trousseau.catalog import Catalog\n",
        LAYERS,
        "trousseau.vault.sideways -> trousseau.catalog",
    ),
    "a package without a layer": (
        "unplaced/__init__.py",
        "",
        LAYERS,
        "trousseau.unplaced",
    ),
    "ingest imports the PostgreSQL driver": (
        "ingest/direct.py",
        "import psycopg\n",
        BACKENDS,
        "trousseau.ingest.direct -> psycopg",
    ),
    "the web imports torch": (
        "web/cuda.py",
        "import torch\n",
        GPU,
        "trousseau.web.cuda -> torch",
    ),
    "the web reaches past the catalog's __init__": (
        "web/peek.py",
        "from trousseau.catalog.schema import photo\n",
        CATALOG_FACE,
        "trousseau.web.peek -> trousseau.catalog.schema",
    ),
    "a pure detector opens PDFs itself": (
        "forms/detect.py",
        "import pikepdf\n",
        PURE,
        "trousseau.forms.detect -> pikepdf",
    ),
    "a retention policy reads the repository": (
        "backup/retention.py",
        "from trousseau.backup import repository\n",
        PURE,
        "trousseau.backup.retention -> trousseau.backup.repository",
    ),
    "forms uses PyMuPDF": (
        "forms/rendering.py",
        "import fitz\n",
        LICENCES,
        "trousseau.forms.rendering -> fitz",
    ),
    "two kinds modules import each other": (
        "kinds/ping.py",
        "from trousseau.kinds import pong\n",
        CIRCLES,
        "No cycles are allowed in trousseau.kinds",
    ),
}
# The other half of the circle above.
PLANTED_TOO = {"kinds/pong.py": "from trousseau.kinds import ping\n"}


def lint_imports(src: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports with pyproject.toml's contracts on the trousseau package found in `src`."""
    if not LINT_IMPORTS.exists():
        pytest.fail(f"{LINT_IMPORTS} is missing: install the lint extra (make test does)")
    return subprocess.run(
        [str(LINT_IMPORTS), str(REPO / "pyproject.toml"), "--no-cache"],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(src)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def report(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> str:
    """lint-imports' report on a copy of the package with every violation planted."""
    root = tmp_path_factory.mktemp("planted")
    package = root / "src" / "trousseau"
    shutil.copytree(
        REPO / "src" / "trousseau",
        package,
        ignore=shutil.ignore_patterns("__pycache__", "static", "templates"),
    )
    planted = {path: source for path, source, _, _ in VIOLATIONS.values()} | PLANTED_TOO
    for path, source in planted.items():
        target = package / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source)
    result = lint_imports(root / "src", cwd=root)
    assert result.returncode != 0, report(result)
    return report(result)


def broken_section(text: str, contract: str) -> str:
    """The part of the report under the heading of one broken contract (a heading is a
    contract's name underlined with dashes)."""
    _, _, details = text.partition("Broken contracts")
    lines = details.splitlines()
    headings = [
        i for i in range(len(lines) - 1) if lines[i] and lines[i + 1] == "-" * len(lines[i])
    ]
    for start, end in zip(headings, [*headings[1:], len(lines)], strict=True):
        if lines[start] == contract:
            return "\n".join(lines[start:end])
    raise AssertionError(f"{contract!r} is not reported broken:\n{text}")


def test_the_package_keeps_every_contract(tmp_path: Path) -> None:
    result = lint_imports(REPO / "src", cwd=tmp_path)
    assert result.returncode == 0, report(result)
    assert " BROKEN" not in result.stdout


@pytest.mark.parametrize("violation", list(VIOLATIONS))
def test_a_planted_violation_fails_the_build(planted: str, violation: str) -> None:
    """Each planted import is reported under its contract: the copy is what was analysed."""
    _, _, contract, evidence = VIOLATIONS[violation]
    assert f"{contract} BROKEN" in planted, planted
    assert evidence in broken_section(planted, contract), planted


def test_postgres_cases_carry_the_marker(request: pytest.FixtureRequest, catalog_url: str) -> None:
    """conftest marks the PostgreSQL case `postgres`, so `-m "not postgres"` leaves it out."""
    on_postgres = request.node.callspec.params["catalog_url"] == "postgresql"
    assert (request.node.get_closest_marker("postgres") is not None) == on_postgres


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


# Imported directly by the web, installed with FastAPI, which pins the versions it works with.
THROUGH_FASTAPI = {"starlette", "anyio"}
# Optional extras installed here by the test extra: each imported by one module only, which
# says how to install it when it is missing.
OPTIONAL = {"matplotlib": ("plot", {"trousseau.planning.plot"})}


def test_src_needs_only_the_runtime_dependencies() -> None:
    """`make demo` installs the package without extras: every third-party package that src
    imports is one of its dependencies (the GPU stack, an optional extra, is not installed here
    and stays behind imaging.gpu by contract)."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    declared = {_canonical(Requirement(line).name) for line in project["dependencies"]}
    graph = grimp.build_graph("trousseau", include_external_packages=True, cache_dir=None)
    distributions = importlib.metadata.packages_distributions()
    undeclared = {}
    for module in graph.modules:
        if "." in module or module == "trousseau" or module in sys.stdlib_module_names:
            continue
        if module == "__future__" or module not in distributions:
            continue
        names = {_canonical(name) for name in distributions[module]}
        importers = set(graph.find_modules_that_directly_import(module))
        if module in OPTIONAL:
            extra, allowed = OPTIONAL[module]
            in_extra = {
                _canonical(Requirement(r).name) for r in project["optional-dependencies"][extra]
            }
            assert names & in_extra and importers <= allowed, (module, importers)
            continue
        if not names & declared and module not in THROUGH_FASTAPI:
            undeclared[module] = sorted(importers)
    assert not undeclared, f"imported by src but not in [project] dependencies: {undeclared}"
