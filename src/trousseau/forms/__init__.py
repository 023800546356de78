"""PDF forms: read a vendor's form into structured fields (issue 14).

This increment reads fillable PDFs (AcroForm fields, XFA detected and reported); flat and
scanned forms, the wedding concepts and the job kind come next (docs/forms.md).
"""

from trousseau.forms.fillable import read_fillable
from trousseau.forms.model import Field, FieldType, FormKind, FormReport, Option, Rect, Widget

__all__ = [
    "Field",
    "FieldType",
    "FormKind",
    "FormReport",
    "Option",
    "Rect",
    "Widget",
    "read_fillable",
]
