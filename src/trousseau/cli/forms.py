"""`trousseau forms analyze FILE.pdf [--json]`: the fields of a PDF form, as a table or JSON;
`trousseau forms submit FILE.pdf --wedding W`: the same PDF kept and queued for a wedding.

`analyze` reads the file alone: no catalog, no vault. A file that cannot be read (not a PDF, needs a
password, damaged beyond repair, over a `forms` limit) is one line on stderr and exit 1;
warnings (XFA not read, a damaged file repaired) go to stderr beside a normal result.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from trousseau.cli.context import settings_of, write_whole
from trousseau.cli.output import console, errors
from trousseau.errors import FormError

if TYPE_CHECKING:
    from trousseau.forms import Field, FormReport

forms_app = typer.Typer(
    help="Read vendors' PDF forms into structured fields.",
    no_args_is_help=True,
)


def _password(password_file: Path | None) -> str:
    """The password in `password_file` (its first line), or "" without one."""
    if password_file is None:
        return ""
    try:
        lines = password_file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise FormError(
            f"the password file {password_file} cannot be read ({exc}): check the path"
        ) from None
    return lines[0] if lines else ""


@forms_app.command("analyze")
def analyze(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The PDF form to read.", readable=False)],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
    password_file: Annotated[
        Path | None,
        typer.Option(help="A file whose first line is the PDF's password (never an argument)."),
    ] = None,
    rebuild: Annotated[
        Path | None,
        typer.Option(
            "--rebuild",
            help="Also write a fillable copy here: the detected fields as AcroForm widgets.",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Every field of a PDF form: page, rectangle, type, label, name, value and the wedding
    concept it stands for.

    AcroForm fields are read; pages without any are printed forms whose fields are detected
    from their lines, boxes and text; scanned pages are deskewed and OCRed first. With
    --rebuild OUT.pdf, a copy with the detected fields as real form fields is written too."""
    from trousseau.forms import read_form, rebuild_fillable

    settings = settings_of(ctx)
    password = _password(password_file)
    report = read_form(file, password=password, limits=settings.forms)
    for warning in report.warnings:
        errors.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False, soft_wrap=True)
    if rebuild is not None:
        data = rebuild_fillable(file, report.fields, password=password, limits=settings.forms)
        _write(rebuild, data)
        errors.print(f"rebuilt: {escape(str(rebuild))} ({len(data):,} bytes)", highlight=False)
    if as_json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        return
    if report.fields:
        console.print(_table(report))
    console.print(
        f"{escape(report.name)}: {len(report.fields)} field(s) on {report.pages} page(s), "
        f"form {report.kind.value}",
        highlight=False,
    )


def _write(path: Path, data: bytes) -> None:
    """The rebuilt PDF written whole (a temporary file with a short name, renamed over
    `path`); a failure is one FormError naming `path` and the cause, whatever it was."""
    try:
        write_whole(path, data)
    except OSError as exc:
        raise FormError(
            f"cannot write {path} ({exc.strerror or exc}): check that --rebuild names a file "
            "in a folder you can write to, with a name the file system accepts"
        ) from None


@forms_app.command("schema")
def schema() -> None:
    """The JSON Schema of `analyze --json` (and of a form document's API result)."""
    from trousseau.forms import result_schema

    print(json.dumps(result_schema(), indent=2, ensure_ascii=False))


def _rect(field: Field) -> str:
    if field.rect is None:
        return "-"
    return " ".join(f"{v:.1f}" for v in field.rect)


def _value(field: Field) -> str:
    if field.value is None:
        return ""
    return ", ".join(field.value) if isinstance(field.value, tuple) else field.value


def _table(report: FormReport) -> Table:
    table = Table(title=escape(report.name), title_justify="left")
    for column in ("page", "rect (x0 y0 x1 y1, pt)", "type", "name", "label", "value", "options"):
        table.add_column(column, overflow="fold")
    for field in report.fields:
        table.add_row(
            "-" if field.page is None else str(field.page),
            _rect(field),
            field.type.value,
            escape(field.name),
            escape(field.label or ""),
            escape(_value(field)),
            escape(", ".join(o.value for o in field.options)),
        )
    return table


@forms_app.command("submit")
def submit(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The PDF form to keep and read.", readable=False)],
    wedding: Annotated[str, typer.Option("--wedding", "-w", help="Wedding slug.")],
    tenant: Annotated[str | None, typer.Option(help="Tenant slug (default: settings).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
) -> None:
    """Keep a PDF form in the vault and queue it to be read (`trousseau work` reads it).

    The same road as an upload to the API: refused at once when over forms.max_bytes or not
    a PDF; otherwise kept, recorded and queued under the wedding's delivery deadline. The
    same bytes sent again give back the document already there.
    """
    from trousseau.catalog import get_tenant, get_wedding
    from trousseau.cli.context import catalog_of, vault_of
    from trousseau.clock import utc_now
    from trousseau.ingest import submit_document

    settings = settings_of(ctx)
    catalog = catalog_of(settings)
    vault = vault_of(settings)
    try:
        with catalog.begin() as conn:
            owner = get_tenant(conn, tenant or settings.tenant)
            target = get_wedding(conn, owner.id, wedding)
        done = submit_document(
            file, wedding=target, catalog=catalog, vault=vault, settings=settings, clock=utc_now
        )
    finally:
        vault.close()
        catalog.dispose()
    if as_json:
        print(
            json.dumps(
                {
                    "document_id": done.document_id,
                    "wedding": target.slug,
                    "filename": done.filename,
                    "sha256": done.sha256,
                    "bytes": done.size,
                    "created": done.created,
                }
            )
        )
        return
    what = "queued" if done.created else "already there"
    console.print(
        f"{escape(done.filename)}: document {done.document_id} of {escape(target.slug)}, {what}",
        highlight=False,
    )
