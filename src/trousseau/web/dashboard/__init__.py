"""The dashboard read model: what operators and studios see of their weddings.

progress  a wedding's progress (catalog counts with the jobs about it), as JSON and as a
          live stream (Server-Sent Events)
overview  today's weddings by time zone and the operations panels, as plain values
pages     the server-rendered pages, their sign-in and static files
"""

from trousseau.web.dashboard.pages import STATIC_DIR, STATIC_PATH
from trousseau.web.dashboard.pages import router as pages_router
from trousseau.web.dashboard.progress import router as progress_router

__all__ = ["STATIC_DIR", "STATIC_PATH", "pages_router", "progress_router"]
