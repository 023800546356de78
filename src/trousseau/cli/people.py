"""`trousseau people WEDDING` and `trousseau find-me WEDDING SELFIE`: the guests found in a
wedding's photos, and the photos of one person.

Both first look for the faces of the wedding's photos not scanned yet (opt-in weddings
only), so they are always up to date; the work is stored, so a second call only reads.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from trousseau.cli.context import catalog_of, settings_of, vault_of
from trousseau.cli.output import console
from trousseau.errors import InvalidValue


def _scan(settings: Any, catalog: Any, vault: Any, target: Any) -> Any:
    from trousseau.analysis import scan_faces
    from trousseau.clock import utc_now

    return scan_faces(
        catalog,
        vault,
        target,
        clock=utc_now,
        threshold=settings.analysis.face_threshold,
        raw_policy=settings.imaging.raw_policy,
    )


def people(
    ctx: typer.Context,
    wedding: Annotated[str, typer.Argument(help="The wedding's slug.")],
    tenant: Annotated[str | None, typer.Option(help="Tenant slug (default: settings).")] = None,
    name: Annotated[
        list[str] | None,
        typer.Option("--name", help="Name a person: ID=NAME (ID from this list); repeatable."),
    ] = None,
    forget: Annotated[
        list[int] | None,
        typer.Option("--forget", help="Delete a person and its faces' embeddings; repeatable."),
    ] = None,
    merge: Annotated[
        list[str] | None,
        typer.Option("--merge", help="One guest found as two: ID=OTHER moves OTHER into ID."),
    ] = None,
    split: Annotated[
        list[str] | None,
        typer.Option(
            "--split", help="Two guests found as one: ID=FACE,FACE,... makes those a new person."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Every face found in a wedding's photos (photo, box in the original's pixels, person)
    and each person's photos. Face analysis runs only for weddings that opted in."""
    from trousseau.catalog import (
        forget_person,
        get_tenant,
        get_wedding,
        load_persons,
        merge_persons,
        name_person,
        photos_of_persons,
        scan_failures,
        split_person,
        wedding_faces,
    )
    from trousseau.clock import utc_now

    names = [_named(text) for text in name or []]
    merges = [_pair(text, "--merge", "ID=OTHER (e.g. 12=15)") for text in merge or []]
    splits = [_faces(text) for text in split or []]
    settings = settings_of(ctx)
    catalog = catalog_of(settings)
    vault = vault_of(settings)
    try:
        with catalog.begin() as conn:
            target = get_wedding(conn, get_tenant(conn, tenant or settings.tenant).id, wedding)
        report = _scan(settings, catalog, vault, target)
        with catalog.begin() as conn:
            for person_id, person_name in names:
                name_person(conn, target.id, person_id, person_name)
            for person_id in forget or []:
                forget_person(conn, target.id, person_id)
            for into, other in merges:
                merge_persons(conn, target.id, into, other)
            for person_id, face_ids in splits:
                split_person(conn, target.id, person_id, face_ids, now=utc_now())
            faces = wedding_faces(conn, target.id)
            persons = load_persons(conn, target.id)
            failures = scan_failures(conn, target.id)
    finally:
        catalog.dispose()
        vault.close()
    photos_of = photos_of_persons(faces)
    body: dict[str, Any] = {
        "wedding": target.slug,
        "scanned": {
            "photos": report.photos,
            "faces": report.faces,
            "new_persons": report.new_persons,
            "waiting_for_variants": report.waiting,
            "read_from_original": report.originals,
            "original_unreadable": [
                {"photo": photo, "reason": reason} for photo, reason in report.unread_originals
            ],
        },
        "faces": [
            {
                "id": row.id,
                "photo": row.original_name,
                "box": [round(v) for v in row.box],
                "person": row.person_id,
                "score": round(row.score, 3),
            }
            for row in faces
        ],
        "persons": [
            {
                "id": p.id,
                "name": p.name,
                "faces": p.faces,
                "photos": [name for _, name in photos_of.get(p.id, [])],
            }
            for p in sorted(persons, key=lambda p: (-p.faces, p.id))
        ],
        "failed": [{"photo": photo, "reason": reason} for photo, reason in failures],
    }
    if as_json:
        console.print_json(json.dumps(body))
        return
    console.print(
        f"{len(faces)} face(s), {len(persons)} person(s) in {escape(target.slug)} "
        f"(this scan: {report.photos} photo(s), {report.faces} face(s), "
        f"{report.waiting} waiting for their variants, {report.originals} small-faced read "
        "from their original)",
        highlight=False,
    )
    for entry in body["persons"]:
        label = escape(entry["name"] or "unnamed")
        console.print(
            f"person {entry['id']} ({label}): {entry['faces']} face(s) in "
            f"{len(entry['photos'])} photo(s): {escape(', '.join(entry['photos'][:8]))}"
            + (" ..." if len(entry["photos"]) > 8 else ""),
            highlight=False,
        )
    for failure in body["failed"]:
        console.print(
            f"could not scan {escape(failure['photo'])}: {escape(failure['reason'])}",
            highlight=False,
        )
    for photo, reason in report.unread_originals:
        console.print(
            f"faces of {escape(photo)} read from its variant only: its original cannot be "
            f"read ({escape(reason)}); check it with `trousseau verify`",
            highlight=False,
        )


def find_me(
    ctx: typer.Context,
    wedding: Annotated[str, typer.Argument(help="The wedding's slug.")],
    selfie: Annotated[Path, typer.Argument(help="A photo of the person to look for.")],
    tenant: Annotated[str | None, typer.Option(help="Tenant slug (default: settings).")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many photos.")] = 50,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The wedding's photos of the person in SELFIE (the largest face), most alike first."""
    import cv2
    import numpy as np

    from trousseau.analysis import find_person
    from trousseau.catalog import get_tenant, get_wedding

    try:
        data = selfie.read_bytes()
    except OSError as exc:
        raise InvalidValue(f"cannot read the selfie {selfie}: {exc.strerror or exc}") from None
    pixels = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if pixels is None:
        raise InvalidValue(f"{selfie} is not an image OpenCV can read (JPEG, PNG, WebP, ...)")
    settings = settings_of(ctx)
    catalog = catalog_of(settings)
    vault = vault_of(settings)
    try:
        with catalog.begin() as conn:
            target = get_wedding(conn, get_tenant(conn, tenant or settings.tenant).id, wedding)
        _scan(settings, catalog, vault, target)
        matches = find_person(catalog, target, pixels, threshold=settings.analysis.face_threshold)[
            :limit
        ]
    finally:
        catalog.dispose()
        vault.close()
    body: dict[str, Any] = {
        "wedding": target.slug,
        "photos": [{"photo": m.photo, "confidence": round(m.confidence, 3)} for m in matches],
    }
    if as_json:
        console.print_json(json.dumps(body))
        return
    if not matches:
        console.print(f"no photo of this person in {escape(target.slug)}", highlight=False)
    for m in matches:
        console.print(f"{m.confidence:.3f}  {escape(m.photo)}", highlight=False)


def _named(text: str) -> tuple[int, str | None]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip().isascii() or not key.strip().isdigit():
        raise InvalidValue(f"--name takes ID=NAME (e.g. 12=Grandma), not {text!r}")
    return int(key.strip()), value.strip() or None


def _pair(text: str, option: str, form: str) -> tuple[int, int]:
    key, sep, value = text.partition("=")
    if not sep or not (_number(key) and _number(value)):
        raise InvalidValue(f"{option} takes {form}, not {text!r}")
    return int(key.strip()), int(value.strip())


def _faces(text: str) -> tuple[int, list[int]]:
    key, sep, value = text.partition("=")
    faces = [part.strip() for part in value.split(",")]
    if not sep or not _number(key) or not all(_number(f) for f in faces):
        raise InvalidValue(
            f"--split takes ID=FACE,FACE,... (face ids from `people --json`), not {text!r}"
        )
    return int(key.strip()), [int(f) for f in faces]


def _number(text: str) -> bool:
    text = text.strip()
    return text.isascii() and text.isdigit()
