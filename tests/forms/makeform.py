"""A PDF form written with pikepdf in the test itself, so the reader is tested without
../shared: every field type, a radio group, inheritance, a rotated and cropped page."""

from __future__ import annotations

import io
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name, String


def make_form(*, xfa: str | None = None, extra_pages: int = 0, encryption: Any = None) -> bytes:
    """A two-page form (page 1 turned 90° with an offset CropBox); `xfa` adds an /XFA
    "stream" or "array" to /AcroForm; `extra_pages` blank pages are appended."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(612, 792))
    pdf.add_blank_page(page_size=(612, 792))
    for _ in range(extra_pages):
        pdf.add_blank_page(page_size=(612, 792))
    first, second = pdf.pages[0].obj, pdf.pages[1].obj
    # Captions printed on the page: "Notes" above the notes box, "Venue:" left of the venue.
    first.Resources = Dictionary(
        Font=Dictionary(F1=Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica))
    )
    first.Contents = pdf.make_stream(
        b"BT /F1 10 Tf 100 684 Td (Notes) Tj ET BT /F1 10 Tf 40 456 Td (Venue:) Tj ET"
    )
    second.Rotate = 90
    second.CropBox = Array([10, 20, 410, 620])
    annots: dict[int, list[pikepdf.Object]] = {0: [], 1: []}

    def on_off(state: str) -> Dictionary:
        return Dictionary(
            N=Dictionary({f"/{state}": pdf.make_stream(b""), "/Off": pdf.make_stream(b"")})
        )

    def widget_field(page: int, rect: list[float], **entries: Any) -> pikepdf.Object:
        target = first if page == 0 else second
        obj = pdf.make_indirect(
            Dictionary(Type=Name.Annot, Subtype=Name.Widget, Rect=Array(rect), P=target, **entries)
        )
        annots[page].append(obj)
        return obj

    name = widget_field(
        0,
        [100, 700, 300, 720],
        FT=Name.Tx,
        T=String("name"),
        TU=String("Couple names"),
        V=String("Alice & Bob"),
        Ff=2,
    )
    notes = widget_field(0, [100, 600, 300, 680], FT=Name.Tx, T=String("notes"), Ff=4096)
    zip_code = widget_field(
        0,
        [100, 570, 200, 590],
        FT=Name.Tx,
        T=String("zip"),
        Ff=1 << 24,
        MaxLen=5,
        V=String("75011"),
    )
    agree = widget_field(
        0,
        [100, 540, 112, 552],
        FT=Name.Btn,
        T=String("agree"),
        V=Name("/Yes"),
        AS=Name("/Yes"),
        AP=on_off("Yes"),
        TU=String("I agree"),
    )
    meal = pdf.make_indirect(
        Dictionary(
            FT=Name.Btn,
            T=String("meal"),
            Ff=49152,
            V=Name("/fish"),
            Opt=Array([String("Beef"), String("Fish"), String("Veggie")]),
        )
    )
    kids = []
    for i, state in enumerate(("beef", "fish", "veg")):
        kid = widget_field(
            0,
            [100 + 30 * i, 500, 112 + 30 * i, 512],
            Parent=meal,
            AS=Name(f"/{state}" if state == "fish" else "/Off"),
            AP=on_off(state),
        )
        kids.append(kid)
    meal.Kids = Array(kids)
    venue = widget_field(
        0,
        [100, 450, 300, 470],
        FT=Name.Ch,
        T=String("venue"),
        Ff=131072,
        Opt=Array([String("Barn"), String("Castle")]),
        V=String("Castle"),
    )
    guests = widget_field(
        0,
        [100, 350, 300, 440],
        FT=Name.Ch,
        T=String("guests"),
        Ff=2097152,
        Opt=Array([Array([String("a"), String("Aunt")]), Array([String("u"), String("Uncle")])]),
        V=Array([String("a"), String("u")]),
    )
    sign = widget_field(0, [100, 300, 300, 330], FT=Name.Sig, T=String("signature"))
    submit = widget_field(0, [400, 300, 460, 320], FT=Name.Btn, T=String("submit"), Ff=65536)
    couple = pdf.make_indirect(Dictionary(T=String("couple"), FT=Name.Tx, Ff=1))
    bride = widget_field(1, [210, 540, 110, 520], T=String("bride"), Parent=couple)
    couple.Kids = Array([bride])
    first.Annots = Array(annots[0])
    second.Annots = Array(annots[1])
    acroform = Dictionary(
        Fields=Array([name, notes, zip_code, agree, meal, venue, guests, sign, submit, couple]),
        DA=String("/Helv 0 Tf 0 g"),
    )
    if xfa == "stream":
        acroform.XFA = pdf.make_stream(b"<xdp:xdp xmlns:xdp='http://ns.adobe.com/xdp/'/>")
    elif xfa == "array":
        acroform.XFA = Array([String("xdp:xdp"), pdf.make_stream(b"<xdp:xdp/>")])
    pdf.Root.AcroForm = pdf.make_indirect(acroform)
    out = io.BytesIO()
    pdf.save(out, encryption=encryption) if encryption is not None else pdf.save(out)
    return out.getvalue()
