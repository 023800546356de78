"""The upload pipeline: an original arriving over HTTP, from the first byte to ingest.

spool       where the bytes land (hashed on the way), sized and swept
single      the single-request upload and `complete_upload`, the one road to ingest
tusheaders  the tus protocol's headers, parsed and checked without a server
tus         the resumable (tus 1.0) routes, which finish through `complete_upload`
"""

from trousseau.web.uploads.single import complete_upload
from trousseau.web.uploads.single import router as single_router
from trousseau.web.uploads.spool import Received, Spool
from trousseau.web.uploads.tus import PATH_HEADERS as TUS_PATH_HEADERS
from trousseau.web.uploads.tus import router as tus_router

__all__ = [
    "TUS_PATH_HEADERS",
    "Received",
    "Spool",
    "complete_upload",
    "single_router",
    "tus_router",
]
