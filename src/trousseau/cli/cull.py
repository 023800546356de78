"""`trousseau cull WEDDING`: picks, rejects with their reasons, and bursts, from each photo's
largest variant up to 2048 px (the original is never decoded again).

The signals are computed when asked (this first increment stores nothing); the `analysis`
job kind that keeps them in the catalog comes with faces and moments.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from trousseau.cli.context import catalog_of, settings_of, vault_of
from trousseau.cli.output import console

if TYPE_CHECKING:
    from trousseau.catalog import Variant

REJECT_BELOW = 0.5
LARGEST = 2048


def _source(variants: list[Variant]) -> Variant | None:
    """The largest variant not above LARGEST px on its long side (else the smallest)."""
    fitting = [v for v in variants if max(v.width, v.height) <= LARGEST]
    if fitting:
        return max(fitting, key=lambda v: max(v.width, v.height))
    return min(variants, key=lambda v: max(v.width, v.height)) if variants else None


def cull(
    ctx: typer.Context,
    wedding: Annotated[str, typer.Argument(help="The wedding's slug.")],
    tenant: Annotated[str | None, typer.Option(help="Tenant slug (default: settings).")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Picks and rejects (keep_score below 0.5, with reasons), the bursts and the moments of
    a wedding."""
    import cv2
    import numpy as np

    from trousseau.analysis import Shot, day_moments, group_bursts, measure, perceptual_hash
    from trousseau.catalog import get_tenant, get_wedding, iter_photos, variants_by_photo

    settings = settings_of(ctx)
    catalog = catalog_of(settings)
    vault = vault_of(settings)
    try:
        with catalog.begin() as conn:
            owner = get_tenant(conn, tenant or settings.tenant)
            target = get_wedding(conn, owner.id, wedding)
            photos = list(iter_photos(conn, wedding_id=target.id))
            variants = variants_by_photo(conn, [p.id for p in photos])
        rows: list[dict[str, Any]] = []
        shots: list[Shot] = []
        for photo in photos:
            source = _source(variants.get(photo.id, []))
            if source is None:
                rows.append({"photo": photo.original_name, "status": "not-rendered"})
                continue
            data = np.frombuffer(vault.get_bytes(source.sha256), dtype=np.uint8)
            pixels = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)
            if pixels is None:
                rows.append({"photo": photo.original_name, "status": "unreadable-variant"})
                continue
            quality = measure(pixels)
            shots.append(Shot(photo.id, photo.original_name, photo.captured_at,
                              perceptual_hash(pixels), quality.keep_score))  # fmt: skip
            rows.append({
                "photo": photo.original_name,
                "status": "reject" if quality.keep_score < REJECT_BELOW else "keep",
                "keep_score": quality.keep_score,
                "reasons": list(quality.reasons),
            })  # fmt: skip
    finally:
        catalog.dispose()
        vault.close()
    bursts = [b for b in group_bursts(shots) if len(b.shots) > 1]
    in_burst = {s.id: b.pick.id for b in bursts for s in b.shots}
    names = {s.id: s.name for s in shots}
    for row, shot_id in zip(
        [r for r in rows if "keep_score" in r], [s.id for s in shots], strict=True
    ):
        if shot_id in in_burst and in_burst[shot_id] != shot_id and row["status"] == "keep":
            row["status"] = "duplicate"
            row["reasons"].append(f"a burst with {names[in_burst[shot_id]]}, the better frame")
    body: dict[str, Any] = {
        "wedding": target.slug,
        "photos": rows,
        "bursts": [{"pick": b.pick.name, "photos": [s.name for s in b.shots]} for b in bursts],
        "moments": [
            {
                "start": m.start.isoformat() if m.start else None,
                "end": m.end.isoformat() if m.end else None,
                "photos": len(m.shots),
                "representative": m.representative.name,
            }
            for m in day_moments(shots)
        ],
    }
    if as_json:
        console.print_json(json.dumps(body))
        return
    for row in rows:
        why = "; ".join(row.get("reasons", []))
        score = f"{row['keep_score']:.2f}" if "keep_score" in row else "-"
        console.print(f"{row['status']:10s} {score:>5s}  {row['photo']}  {why}", highlight=False)
    for moment in body["moments"]:
        console.print(
            f"moment {moment['start'] or 'undated'}: {moment['photos']} photo(s), "
            f"representative {moment['representative']}",
            highlight=False,
        )
    for burst in body["bursts"]:
        console.print(f"burst: {', '.join(burst['photos'])} -> pick {burst['pick']}",
                      highlight=False)  # fmt: skip
