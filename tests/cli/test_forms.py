"""`trousseau forms analyze`: the real command in a subprocess, as an operator runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pikepdf
import pytest

from tests.cli.conftest import Cli, assert_one_line_error
from tests.forms.makeform import make_form


@pytest.fixture
def forms_cli(tmp_path: Path) -> Cli:
    """The CLI without a catalog: reading a PDF needs none (the URL is never opened)."""
    return Cli(tmp_path / "data", f"sqlite:///{tmp_path / 'unused.sqlite3'}", {})


@pytest.fixture
def form(tmp_path: Path) -> Path:
    path = tmp_path / "wedding.pdf"
    path.write_bytes(make_form())
    return path


def test_analyze_prints_a_table_of_fields(forms_cli: Cli, form: Path) -> None:
    result = forms_cli.run("forms", "analyze", str(form))
    assert result.returncode == 0, result.stderr
    for text in ("Couple names", "Alice & Bob", "radio", "beef, fish, veg", "couple.bride"):
        assert text in result.stdout, result.stdout
    assert "wedding.pdf: 10 field(s) on 2 page(s), form acroform" in result.stdout
    assert result.stderr == ""


def test_analyze_json_lists_every_field(forms_cli: Cli, form: Path) -> None:
    result = forms_cli.run("forms", "analyze", str(form), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["file"], data["pages"], data["form"]) == ("wedding.pdf", 2, "acroform")
    assert len(data["fields"]) == 10
    bride = next(f for f in data["fields"] if f["name"] == "couple.bride")
    assert {k: bride[k] for k in ("page", "rect", "type", "label", "value", "concept")} == {
        "page": 1,
        "rect": [500.0, 200.0, 520.0, 300.0],
        "type": "text",
        "label": None,
        "value": None,
        "concept": "partner1_name",  # no label: its name, "bride"
    }


def test_analyze_rebuilds_a_flat_form_as_a_fillable_one(forms_cli: Cli, tmp_path: Path) -> None:
    from bench.formgen import generate

    from trousseau.forms import read_fillable

    _, flat, _ = generate(0, "contract")
    source = tmp_path / "contract.pdf"
    source.write_bytes(flat)
    out = tmp_path / "contract-fillable.pdf"
    result = forms_cli.run("forms", "analyze", str(source), "--json", "--rebuild", str(out))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)  # stdout stays one JSON object
    assert data["form"] == "flat"
    assert f"rebuilt: {out}" in result.stderr
    back = read_fillable(out)
    assert len(back.fields) == len(data["fields"])
    assert {"p1.client_name", "p1.wedding_date", "p1.client_signature"} <= {
        f.name for f in back.fields
    }


def test_schema_prints_the_json_schema_of_the_result(forms_cli: Cli) -> None:
    result = forms_cli.run("forms", "schema")
    assert result.returncode == 0, result.stderr
    schema = json.loads(result.stdout)
    assert schema["title"] == "FormResult" and "fields" in schema["properties"]


def test_a_broken_file_is_one_line_and_exit_1(forms_cli: Cli, tmp_path: Path) -> None:
    broken = tmp_path / "contract.pdf"
    broken.write_bytes(make_form()[:200])
    result = forms_cli.run("forms", "analyze", str(broken), "--json")
    assert result.returncode == 1
    assert result.stdout == ""
    assert_one_line_error(result, "error: contract.pdf is damaged beyond repair (")


def test_not_a_pdf_and_a_missing_file(forms_cli: Cli, tmp_path: Path) -> None:
    photo = tmp_path / "scan.pdf"
    photo.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00")
    assert_one_line_error(
        forms_cli.run("forms", "analyze", str(photo)), "scan.pdf is a JPEG image, not a PDF"
    )
    assert_one_line_error(
        forms_cli.run("forms", "analyze", str(tmp_path / "gone.pdf")), "does not exist"
    )


def test_a_password_comes_from_a_file(forms_cli: Cli, tmp_path: Path) -> None:
    locked = tmp_path / "locked.pdf"
    locked.write_bytes(make_form(encryption=pikepdf.Encryption(user="vows", owner="planner")))
    assert_one_line_error(
        forms_cli.run("forms", "analyze", str(locked)),
        "locked.pdf is encrypted and needs a password to open: give it with --password-file",
    )
    secret = tmp_path / "password.txt"
    secret.write_text("vows\n")
    result = forms_cli.run("forms", "analyze", str(locked), "--password-file", str(secret))
    assert result.returncode == 0, result.stderr


def test_limits_come_from_the_forms_settings(forms_cli: Cli, form: Path) -> None:
    result = forms_cli.run("forms", "analyze", str(form), TROUSSEAU_FORMS__MAX_PAGES="1")
    assert_one_line_error(result, "wedding.pdf has 2 pages, over the limit of 1 (forms.max_pages)")


def test_warnings_go_to_stderr_beside_the_result(forms_cli: Cli, tmp_path: Path) -> None:
    hybrid = tmp_path / "hybrid.pdf"
    hybrid.write_bytes(make_form(xfa="array"))
    result = forms_cli.run("forms", "analyze", str(hybrid), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["form"] == "hybrid"
    assert "warning: hybrid form: XFA (array)" in " ".join(result.stderr.split())


def test_a_file_without_fields_says_so_without_a_table(forms_cli: Cli, tmp_path: Path) -> None:
    blank = tmp_path / "timeline.pdf"
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.save(blank)
    result = forms_cli.run("forms", "analyze", str(blank))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "timeline.pdf: 0 field(s) on 1 page(s), form none"


def _wedding(catalog_url: str) -> None:
    from datetime import UTC, date, datetime

    from trousseau.catalog import create_wedding, ensure_tenant, open_catalog

    catalog = open_catalog(catalog_url)
    now = datetime(2026, 6, 13, tzinfo=UTC)
    with catalog.begin() as conn:
        tenant = ensure_tenant(conn, "default", now=now)
        create_wedding(
            conn,
            tenant.id,
            "w",
            on=date(2026, 6, 13),
            timezone="UTC",
            delivery_sla="standard",
            now=now,
        )
    catalog.dispose()


def test_submit_queues_the_pdf_and_work_reads_it(cli: Cli, form: Path) -> None:
    from trousseau.catalog import DocumentStatus, get_document, open_catalog

    _wedding(cli.catalog_url)
    result = cli.run("forms", "submit", str(form), "--wedding", "w", "--json")
    assert result.returncode == 0, result.stderr
    submitted = json.loads(result.stdout)
    assert submitted["created"] and submitted["filename"] == "wedding.pdf"
    again = cli.run("forms", "submit", str(form), "--wedding", "w")
    assert again.returncode == 0, again.stderr
    assert f"document {submitted['document_id']} of w, already there" in again.stdout
    assert cli.run("work", "--until-idle", "--workers", "1").returncode == 0
    catalog = open_catalog(cli.catalog_url)
    with catalog.begin() as conn:
        (tenant_id,) = conn.exec_driver_sql("SELECT id FROM tenant").one()
        document = get_document(conn, submitted["document_id"], tenant_id=tenant_id)
    catalog.dispose()
    assert document is not None and document.status is DocumentStatus.DONE
    assert document.result is not None and len(document.result["fields"]) == 10


def test_submit_refuses_a_jpeg_and_an_unknown_wedding(cli: Cli, tmp_path: Path) -> None:
    _wedding(cli.catalog_url)
    jpeg = tmp_path / "scan.pdf"
    jpeg.write_bytes(b"\xff\xd8\xff\xe0" + bytes(2000))
    assert_one_line_error(cli.run("forms", "submit", str(jpeg), "-w", "w"), "scan.pdf")
    form = tmp_path / "form.pdf"
    form.write_bytes(make_form())
    assert_one_line_error(cli.run("forms", "submit", str(form), "-w", "nope"), "no wedding 'nope'")


def test_rebuild_into_a_path_under_a_file_is_one_line(forms_cli: Cli, form: Path) -> None:
    """The cleanup of the temporary file must not hide the cause behind its own error."""
    (form.parent / "afile").write_bytes(b"")
    out = form.parent / "afile" / "out.pdf"
    result = forms_cli.invoke("forms", "analyze", str(form), "--rebuild", str(out))
    assert_one_line_error(result, f"cannot write {out} (Not a directory)", "--rebuild")


def test_rebuild_to_a_long_name_uses_a_short_temporary_name(forms_cli: Cli, form: Path) -> None:
    """254 characters fit a file name; `.NAME.partial` (263) would not."""
    out = form.parent / ("q" * 250 + ".pdf")
    result = forms_cli.invoke("forms", "analyze", str(form), "--rebuild", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:5] == b"%PDF-"
    assert [p.name for p in form.parent.iterdir() if p.name.endswith(".partial")] == []


def test_a_file_name_with_brackets_is_printed_as_it_is(forms_cli: Cli, tmp_path: Path) -> None:
    form = tmp_path / "form [v2].pdf"
    form.write_bytes(make_form())
    result = forms_cli.invoke("forms", "analyze", str(form))
    assert result.returncode == 0, result.stderr
    assert "form [v2].pdf: 10 field(s) on 2 page(s)" in result.stdout
