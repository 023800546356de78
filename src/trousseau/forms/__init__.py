"""PDF forms: read a vendor's form into structured fields (issue 14).

`read_form` reads any PDF form: its AcroForm fields (`read_fillable`; XFA detected and
reported) and the fields detected on its printed pages; scanned pages are reported, their OCR
and the wedding concepts come next (docs/forms.md).
"""

from trousseau.forms.fillable import read_fillable
from trousseau.forms.flat import read_form
from trousseau.forms.model import Field, FieldType, FormKind, FormReport, Option, Rect, Widget
from trousseau.forms.source import sniff as sniff_pdf

__all__ = [
    "Field",
    "FieldType",
    "FormKind",
    "FormReport",
    "Option",
    "Rect",
    "Widget",
    "read_fillable",
    "read_form",
    "sniff_pdf",
]
