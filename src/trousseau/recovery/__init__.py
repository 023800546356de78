"""Disaster recovery: restore drills with measured RTO and RPO.

Vocabulary:

drill       the catalog and a random sample of weddings restored from the backup repository
            into a scratch place and verified, as a disaster would need them
RTO         recovery time: to the catalog usable, to the first gallery served, to all restored
RPO         recovery point: the age of the oldest change not in the repository when the
            drill started (what a disaster at that moment would lose)
"""

from trousseau.recovery.drill import DrillReport, run_drill

__all__ = ["DrillReport", "run_drill"]
