"""Data residency: each wedding's data stays in its region's stores.

Vocabulary:

region      a named place (eu, us-east) with its stores: a vault, optionally a catalog,
            backup targets, and the URL of its service (`residency.regions` in settings)
node        a trousseau deployment; it serves one region (`residency.region`), and its
            settings are refused at start when they would write to another region's store
in place    a wedding whose blobs are only in its region's stores

The guard (`ResidencySettings.guard`, called by ingest and the service before anything is
stored) refuses a wedding of another region with `WrongRegion`, naming where to go; this
package reports where every wedding's blobs live (`trousseau residency report`).
"""

from trousseau.residency.report import (
    Store,
    WeddingPlace,
    judge,
    out_of_place,
    residency_report,
    stores_of,
)

__all__ = ["Store", "WeddingPlace", "judge", "out_of_place", "residency_report", "stores_of"]
