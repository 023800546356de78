"""PDF forms: read a vendor's form into structured fields (issue 14).

`read_form` reads any PDF form: its AcroForm fields (`read_fillable`; XFA detected and
reported) and the fields detected on its printed pages, each mapped onto a wedding concept
(`map_concept`, `CONCEPTS`); scanned pages are deskewed and OCRed first (`scan`). The result's
shape is published as a JSON Schema (`result_schema`); `rebuild_fillable` writes a copy of a
flat form with its detected fields as real AcroForm fields (docs/forms.md).
"""

from trousseau.forms.concepts import CONCEPTS, Concept, map_concept
from trousseau.forms.fillable import read_fillable
from trousseau.forms.flat import read_form
from trousseau.forms.geometry import iou
from trousseau.forms.model import Field, FieldType, FormKind, FormReport, Option, Rect, Widget
from trousseau.forms.rebuild import fields_from_result, rebuild_fillable
from trousseau.forms.schema import check_result, result_schema
from trousseau.forms.source import sniff as sniff_pdf

__all__ = [
    "CONCEPTS",
    "Concept",
    "Field",
    "FieldType",
    "FormKind",
    "FormReport",
    "Option",
    "Rect",
    "Widget",
    "check_result",
    "fields_from_result",
    "iou",
    "map_concept",
    "read_fillable",
    "read_form",
    "rebuild_fillable",
    "result_schema",
    "sniff_pdf",
]
