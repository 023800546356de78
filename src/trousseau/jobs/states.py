"""The life of a job: queued → running → done, or back to queued for a retry, or dead."""

QUEUED = "queued"
RUNNING = "running"
DONE = "done"
DEAD = "dead"

ALL = (QUEUED, RUNNING, DONE, DEAD)
